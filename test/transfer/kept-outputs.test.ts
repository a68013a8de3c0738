// A returned file kept in the node's blob cache (BlobStore.keepOutput): moved out of the task folder
// without a byte written, and refused when it has another link, has changed since the walk saw it, or
// is over a quarter of the cache's cap.
import { createHash, randomBytes } from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { BlobStore } from '../../src/daemon/blobs/blob-store.js'
import { tempDir } from '../helpers/cli.js'

const stores: BlobStore[] = []
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()))
})

async function setUp(maxBytes = 1024 * 1024) {
  const root = await tempDir('distw-kept-')
  const store = await BlobStore.open(path.join(root, 'cache'), { maxBytes })
  stores.push(store)
  const task = path.join(root, 'task')
  await fs.mkdir(task)
  return { store, task }
}

// A file as a task left it, with its digest and the stat the walk would have seen.
async function output(dir: string, name: string, bytes: number) {
  const data = randomBytes(bytes)
  const file = path.join(dir, name)
  await fs.writeFile(file, data)
  return { file, digest: createHash('sha256').update(data).digest('hex'), data, stat: await fs.lstat(file, { bigint: true }) }
}

describe('returned outputs kept in the blob cache', () => {
  it('keeps a file by moving it into the cache, where it counts like an upload', async () => {
    const { store, task } = await setUp()
    const out = await output(task, 'a.bin', 100_000)

    expect(await store.keepOutput(out.digest, out.file, out.stat)).toBe(true)

    expect(store.has(out.digest)).toBe(true)
    expect(store.usedBytes).toBe(100_000)
    await expect(fs.access(out.file)).rejects.toThrow() // moved, not copied
    const dest = path.join(task, 'again.bin')
    await store.materialize(out.digest, dest, 0o644)
    expect((await fs.readFile(dest)).equals(out.data)).toBe(true)
  })

  it('refuses a file with another link, one changed since the walk, and one over a quarter of the cap', async () => {
    const { store, task } = await setUp(1024 * 1024)
    const linked = await output(task, 'linked.bin', 70_000)
    await fs.link(linked.file, path.join(task, 'other-name'))
    const linkedNow = await fs.lstat(linked.file, { bigint: true })
    const changed = await output(task, 'changed.bin', 70_000)
    await fs.appendFile(changed.file, 'more')
    const big = await output(task, 'big.bin', 300_000)

    expect(await store.keepOutput(linked.digest, linked.file, linkedNow)).toBe(false)
    expect(await store.keepOutput(changed.digest, changed.file, changed.stat)).toBe(false)
    expect(await store.keepOutput(big.digest, big.file, big.stat)).toBe(false)
    expect(store.usedBytes).toBe(0)
    await fs.access(big.file) // left where it was
  })
})
