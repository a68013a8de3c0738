// Reads a file in fixed-size chunks into one reused buffer. A chunk is only valid until the next one
// is read; senders encode it into a frame (a copy) at once, so a transfer allocates one buffer per
// chunk instead of two — which keeps the garbage, and so the resident set, of bulk transfers small.
import fs from 'node:fs/promises'
import { CHUNK_BYTES } from '../protocol/index.js'

export async function* fileChunks(file: string, flags: string | number = 'r'): AsyncGenerator<Buffer> {
  const handle = await fs.open(file, flags)
  try {
    const buffer = Buffer.allocUnsafe(CHUNK_BYTES)
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, CHUNK_BYTES, null)
      if (bytesRead === 0) return
      yield buffer.subarray(0, bytesRead)
    }
  } finally {
    await handle.close()
  }
}

/**
 * How much a file being written may buffer before the writer waits: a few chunks, so the disk write
 * of one chunk overlaps with receiving and hashing the next (with the default 16 KiB, every 1 MiB
 * chunk waited for its own write).
 */
export const WRITE_BEHIND_BYTES = 4 * CHUNK_BYTES
