// fileChunks reads ahead into a second buffer while the caller works on a chunk. Every chunk must still
// hold its own bytes until the next one is asked for, and no read may outlive the loop.
import { randomBytes } from 'node:crypto'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterEach, describe, expect, it } from 'vitest'
import { CHUNK_BYTES } from '../../src/protocol/index.js'
import { fileChunks } from '../../src/transfer/chunks.js'

const dirs: string[] = []
afterEach(async () => {
  for (const dir of dirs.splice(0)) await fs.rm(dir, { recursive: true, force: true })
})

async function fileOf(size: number): Promise<{ file: string; bytes: Buffer }> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'distw-chunks-'))
  dirs.push(dir)
  const bytes = randomBytes(size)
  const file = path.join(dir, 'data.bin')
  await fs.writeFile(file, bytes)
  return { file, bytes }
}

const openFds = async (): Promise<number> => (await fs.readdir('/proc/self/fd')).length

describe('fileChunks', () => {
  it('yields the file in order, each chunk intact while the caller is slow with it', async () => {
    for (const size of [0, 1, CHUNK_BYTES, CHUNK_BYTES + 1, 3 * CHUNK_BYTES + 5]) {
      const { file, bytes } = await fileOf(size)
      let offset = 0
      for await (const chunk of fileChunks(file)) {
        // The read of the next chunk runs meanwhile: it must not land in this one.
        await sleep(5)
        expect(chunk.length).toBe(Math.min(CHUNK_BYTES, size - offset))
        expect(chunk.equals(bytes.subarray(offset, offset + chunk.length))).toBe(true)
        offset += chunk.length
      }
      expect(offset).toBe(size)
    }
  })

  it('closes the file when the caller stops early, with a read still in flight', async () => {
    const { file } = await fileOf(4 * CHUNK_BYTES)
    const before = await openFds()
    for (let round = 0; round < 5; round++) {
      for await (const chunk of fileChunks(file)) {
        expect(chunk.length).toBe(CHUNK_BYTES)
        break
      }
    }
    expect(await openFds()).toBe(before)
  })

  it('throws a read error to the caller', async () => {
    const { file } = await fileOf(1)
    const reading = (async () => {
      for await (const chunk of fileChunks(path.dirname(file))) void chunk
    })()
    await expect(reading).rejects.toMatchObject({ code: 'EISDIR' })
  })
})
