// isEmptyNow / emptyFolderMode, the per-task look at a finished task's folder: a small folder is listed
// whole, a large one (by its own size) read one entry at a time; both must answer alike.
import fs from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { emptyFolderMode, isEmptyNow } from '../../src/daemon/run/held-folder.js'
import { tempDir } from '../helpers/cli.js'

describe('isEmptyNow', () => {
  it('tells an empty folder from one with a file or a folder in it, small or large', async () => {
    const dir = await tempDir()
    expect(isEmptyNow(dir)).toBe(true)
    await fs.writeFile(path.join(dir, 'a'), '')
    expect(isEmptyNow(dir)).toBe(false)
    await fs.rm(path.join(dir, 'a'))
    await fs.mkdir(path.join(dir, 'sub'))
    expect(isEmptyNow(dir)).toBe(false)
    await fs.rmdir(path.join(dir, 'sub'))
    expect(isEmptyNow(dir)).toBe(true)

    // Enough long names to grow the folder past the small-folder bound (on ext4 it keeps that size
    // once they are gone, so the last look takes the one-entry-at-a-time path).
    const names = Array.from({ length: 3000 }, (_, i) => `${'x'.repeat(60)}-${i}`)
    await Promise.all(names.map((n) => fs.writeFile(path.join(dir, n), '')))
    expect(isEmptyNow(dir)).toBe(false)
    await Promise.all(names.map((n) => fs.rm(path.join(dir, n))))
    expect(isEmptyNow(dir)).toBe(true)
  })
})

describe('emptyFolderMode', () => {
  it('gives the permission bits of an empty folder, and nothing for a full one or a link in its place', async () => {
    const dir = await tempDir()
    const task = path.join(dir, 'task')
    await fs.mkdir(task, { mode: 0o700 })
    expect(emptyFolderMode(task)).toBe(0o700)
    await fs.chmod(task, 0o755)
    expect(emptyFolderMode(task)).toBe(0o755)
    await fs.writeFile(path.join(task, 'a'), '')
    expect(emptyFolderMode(task)).toBeUndefined()
    // A link to an empty folder is not an empty folder (the walk refuses it).
    const empty = path.join(dir, 'empty')
    await fs.mkdir(empty)
    await fs.symlink(empty, path.join(dir, 'link'))
    expect(emptyFolderMode(path.join(dir, 'link'))).toBeUndefined()
    expect(isEmptyNow(path.join(dir, 'link'))).toBe(false)
  })
})
