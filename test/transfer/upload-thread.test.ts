// Uploads of more than one chunk are hashed and written on the upload thread (src/daemon/blobs/
// upload-thread.ts): the bytes stored are the bytes sent, a chunk's memory is moved only when the caller
// says it is spent, a wrong digest and a file that cannot be written fail that upload alone, and a
// dropped upload leaves no file behind.
import { createHash, randomBytes } from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, it, onTestFinished } from 'vitest'
import { BlobStore } from '../../src/daemon/blobs/blob-store.js'
import { CHUNK_BYTES } from '../../src/protocol/index.js'
import { tempDir } from '../helpers/cli.js'

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex')

// A store of the test's own, closed when the test ends, passed or failed.
async function openStore(): Promise<{ store: BlobStore; root: string }> {
  const root = path.join(await tempDir(), 'cache')
  const store = await BlobStore.open(root)
  onTestFinished(() => store.close())
  return { store, root }
}

describe('upload thread', () => {
  it('stores the bytes sent; moves only spent chunks, in memory of their own', async () => {
    const { store, root } = await openStore()
    const data = randomBytes(3 * CHUNK_BYTES + 100_000)
    const digest = sha256(data)
    const kept = data.subarray(0, CHUNK_BYTES) // shares the caller's memory: copied, not moved
    await store.write('s1', digest, 0, kept, false, true)
    expect(kept.length).toBe(CHUNK_BYTES)
    for (let offset = CHUNK_BYTES; offset < data.length; offset += CHUNK_BYTES) {
      // As ws hands a frame over: a buffer of its own, the chunk after a small envelope.
      const frame = Buffer.alloc(100 + Math.min(CHUNK_BYTES, data.length - offset))
      data.copy(frame, 100, offset, offset + CHUNK_BYTES)
      const chunk = frame.subarray(100)
      await store.write('s1', digest, offset, chunk, false, true)
      expect(chunk.length).toBe(0) // moved to the thread
    }
    await store.write('s1', digest, data.length, Buffer.alloc(0), true)
    expect(store.has(digest)).toBe(true)
    const stored = await fs.readFile(path.join(root, 'blobs', digest.slice(0, 2), digest))
    expect(sha256(stored)).toBe(digest)
    expect(await fs.readdir(path.join(root, 'tmp'))).toEqual([])
  })

  it('refuses a wrong digest, and drops an interrupted upload without a trace', async () => {
    const { store, root } = await openStore()
    const data = randomBytes(2 * CHUNK_BYTES)
    const claimed = sha256(Buffer.from('something else'))
    await store.write('s1', claimed, 0, data.subarray(0, CHUNK_BYTES), false)
    await store.write('s1', claimed, CHUNK_BYTES, data.subarray(CHUNK_BYTES), false)
    await expect(store.write('s1', claimed, data.length, Buffer.alloc(0), true)).rejects.toMatchObject({
      code: 'DISTW_ERR_BLOB_CORRUPT',
    })
    expect(store.has(claimed)).toBe(false)

    await store.write('s2', sha256(data), 0, data.subarray(0, CHUNK_BYTES), false)
    store.abortOwner('s2')
    // The thread removes the file after what was queued before the drop.
    for (let i = 0; i < 200 && (await fs.readdir(path.join(root, 'tmp'))).length > 0; i++) await new Promise((r) => setTimeout(r, 10))
    expect(await fs.readdir(path.join(root, 'tmp'))).toEqual([])
  })

  it('fails an upload whose file cannot be written, and takes the next one', async () => {
    const { store, root } = await openStore()
    const data = randomBytes(2 * CHUNK_BYTES)
    const digest = sha256(data)
    await fs.rm(path.join(root, 'tmp'), { recursive: true })
    await store.write('s1', digest, 0, data.subarray(0, CHUNK_BYTES), false)
    await expect(
      (async () => {
        await store.write('s1', digest, CHUNK_BYTES, data.subarray(CHUNK_BYTES), false)
        await store.write('s1', digest, data.length, Buffer.alloc(0), true)
      })(),
    ).rejects.toThrow()
    expect(store.has(digest)).toBe(false)

    await fs.mkdir(path.join(root, 'tmp'))
    await store.write('s1', digest, 0, data.subarray(0, CHUNK_BYTES), false)
    await store.write('s1', digest, CHUNK_BYTES, data.subarray(CHUNK_BYTES), false)
    await store.write('s1', digest, data.length, Buffer.alloc(0), true)
    expect(store.has(digest)).toBe(true)
  })
})
