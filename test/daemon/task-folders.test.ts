// TaskFolders: an empty folder given back goes to the next task taken in the same turn where it is (no
// rename), and what no task took is parked under idle/ when the turn ends, so that tasks/ holds only
// running tasks' folders; a folder left with files, or with its mode changed, is removed instead.
import fs from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { TaskFolders } from '../../src/daemon/run/task-folders.js'
import { tempDir } from '../helpers/cli.js'

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

describe('TaskFolders', () => {
  it('hands an empty folder to a task taken in the same turn, parks it otherwise, and removes a used one', async () => {
    const work = await tempDir()
    const folders = await TaskFolders.open(work)
    const tasks = path.join(work, 'tasks')
    const idle = path.join(work, 'idle')
    try {
      const first = folders.take()
      expect(path.dirname(first)).toBe(tasks)
      expect((await fs.stat(first)).mode & 0o777).toBe(0o700)

      // Given back and taken again at once (a run queued on the same lease): the same folder, in place.
      await folders.give(first, 0o700)
      const second = folders.take()
      expect(second).toBe(first)
      await turn()
      expect(await fs.readdir(tasks)).toEqual([path.basename(first)])

      // Given back with no task taking it this turn: parked, and tasks/ is empty once the turn ends.
      await folders.give(second)
      await turn()
      expect(await fs.readdir(tasks)).toEqual([])
      expect(await fs.readdir(idle)).toHaveLength(1)

      // Taken from idle/ later: renamed back under tasks/.
      const third = folders.take()
      expect(path.dirname(third)).toBe(tasks)
      expect(await fs.readdir(idle)).toEqual([])

      // A folder the task left a file in, or whose mode it changed, is not reused.
      await fs.writeFile(path.join(third, 'out.txt'), 'x')
      await folders.give(third)
      const fourth = folders.take()
      expect(fourth).not.toBe(third)
      await fs.chmod(fourth, 0o755)
      await folders.give(fourth)
      await turn()
      expect(await fs.readdir(tasks)).toEqual([])
      expect(await fs.readdir(idle)).toEqual([])
    } finally {
      await folders.close()
    }
  })

  it('close() removes a folder given back in the same turn', async () => {
    const work = await tempDir()
    const folders = await TaskFolders.open(work)
    const dir = folders.take()
    await folders.give(dir, 0o700)
    await folders.close()
    await turn()
    expect(await fs.readdir(path.join(work, 'tasks'))).toEqual([])
    await expect(fs.stat(path.join(work, 'idle'))).rejects.toThrow()
  })
})
