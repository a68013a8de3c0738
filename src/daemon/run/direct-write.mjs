// @ts-check
// Writes to a stream's descriptor directly while the stream has nothing queued, and through the stream
// otherwise: used for the spawn helper's pipe (helper-channel.mjs) and the daemon's log (log.ts).
import { writeSync, writevSync } from 'node:fs'

/**
 * Writes `parts` in order. While `out` has nothing queued, one write(2) or writev(2) straight to `fd`:
 * for small writes, the stream's machinery (a write request, its callback on the next tick, a Buffer
 * made of the string) cost more than the system call. What the descriptor does not take now (full:
 * EAGAIN, or a part of it) goes to the stream, which queues it behind nothing and writes it in order.
 * @param {import('node:stream').Writable} out
 * @param {number | undefined} fd `out`'s descriptor, if known
 * @param {(string | Buffer)[]} parts
 */
export function writeDirect(out, fd, parts) {
  const rest = fd !== undefined && out.writableLength === 0 && !out.destroyed ? writeNow(fd, parts) : parts
  if (rest.length === 1) out.write(/** @type {string | Buffer} */ (rest[0]))
  else if (rest.length > 1) {
    // Corked, the strings and payloads leave in one writev.
    out.cork()
    for (const part of rest) out.write(part)
    out.uncork()
  }
}

/**
 * @param {number} fd
 * @param {(string | Buffer)[]} parts
 * @returns {(string | Buffer)[]} what was not written
 */
function writeNow(fd, parts) {
  try {
    const [only] = parts
    if (parts.length === 1 && typeof only === 'string') {
      // The string as it is (Node encodes it on its way out); made a Buffer only to cut a part written.
      const wrote = writeSync(fd, only)
      return wrote === Buffer.byteLength(only) ? [] : [Buffer.from(only).subarray(wrote)]
    }
    const bufs = parts.map((part) => (typeof part === 'string' ? Buffer.from(part) : part))
    let wrote = writevSync(fd, bufs)
    const rest = []
    for (const buf of bufs) {
      if (wrote >= buf.length) wrote -= buf.length
      else {
        rest.push(wrote === 0 ? buf : buf.subarray(wrote))
        wrote = 0
      }
    }
    return rest
  } catch {
    // EAGAIN (the reader is not reading yet), or the reader is gone: the stream writes it, or reports that.
    return parts
  }
}
