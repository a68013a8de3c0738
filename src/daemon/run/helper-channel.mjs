// @ts-check
// The pipe between the daemon and its spawn helper (both sides use this file): one JSON line a message,
// and a message with a payload (an output chunk) names its length in `n` and has its bytes raw right
// after its line. The messages of one turn of the event loop leave in one write.
//
// Why not Node's IPC channel (`fork`, `advanced` serialization): a V8 Serializer object and a write
// per message; a round trip in a loop cost ~40 µs of CPU against ~22 µs as JSON lines on a plain pipe,
// and the daemon paid it twice a task. The peer is this process's own parent or child, so a message
// is trusted as it is (no schema); a line that does not parse means a broken peer, for `onBroken`.
import { writeSync, writevSync } from 'node:fs'

/**
 * Writes messages to the peer: one write a turn, after the rest of the turn (setImmediate), so the
 * messages several tasks send in one turn share it.
 */
export class LineWriter {
  /**
   * @param {import('node:stream').Writable} out
   * @param {number} [fd] `out`'s descriptor: written to directly while `out` has nothing queued
   */
  constructor(out, fd) {
    this.out = out
    this.fd = fd
    /** Lines not yet written, after the last payload in `parts`. */
    this.text = ''
    /** @type {(string | Buffer)[]} lines and payloads in order, when a payload is pending */
    this.parts = []
    this.scheduled = false
    this.flush = this.flush.bind(this)
  }

  /**
   * @param {object} message
   * @param {Buffer} [data] its payload; the message must then say `n: data.length`
   */
  send(message, data) {
    this.text += JSON.stringify(message) + '\n'
    if (data !== undefined) {
      this.parts.push(this.text, data)
      this.text = ''
    }
    if (!this.scheduled) {
      this.scheduled = true
      setImmediate(this.flush)
    }
  }

  /** Writes what is pending now. */
  flush() {
    this.scheduled = false
    if (this.text !== '') this.parts.push(this.text)
    this.text = ''
    if (this.parts.length === 0) return
    const parts = this.parts
    this.parts = []
    let rest = parts
    if (this.fd !== undefined && this.out.writableLength === 0 && !this.out.destroyed) rest = this.writeNow(parts)
    if (rest.length === 1) this.out.write(/** @type {string | Buffer} */ (rest[0]))
    else if (rest.length > 1) {
      // Corked, the strings and payloads leave in one writev.
      this.out.cork()
      for (const part of rest) this.out.write(part)
      this.out.uncork()
    }
  }

  /**
   * One write(2) or writev(2) straight to the descriptor: the stream's machinery (a write request, its
   * callback on the next tick) cost more than the system call for these small writes. What the socket
   * does not take now (full: EAGAIN, or a part) is returned, for the stream to queue and write in order.
   * @param {(string | Buffer)[]} parts
   * @returns {(string | Buffer)[]}
   */
  writeNow(parts) {
    const fd = /** @type {number} */ (this.fd)
    try {
      if (parts.length === 1 && typeof parts[0] === 'string') {
        const buf = Buffer.from(parts[0])
        const wrote = writeSync(fd, buf)
        return wrote === buf.length ? [] : [buf.subarray(wrote)]
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
      // EAGAIN (the peer is not reading yet), or the peer is gone: the stream writes it, or reports that.
      return parts
    }
  }
}

const NEWLINE = 10

/** Splits what the peer wrote into messages, each with its payload (a view of the bytes read) if it has one. */
export class LineReader {
  /**
   * @param {(message: any, data: Buffer | undefined) => void} onMessage
   * @param {(error: Error) => void} onBroken a line that is not JSON: nothing after it can be trusted
   */
  constructor(onMessage, onBroken) {
    this.onMessage = onMessage
    this.onBroken = onBroken
    /** @type {Buffer[]} the start of a line or payload, from earlier reads */
    this.pieces = []
    this.pieceBytes = 0
    /** @type {any} a message whose payload is still being read */
    this.waiting = undefined
    this.broken = false
  }

  /** @param {Buffer} chunk */
  push(chunk) {
    if (this.broken) return
    if (this.pieces.length > 0) {
      // A long line or payload comes in many reads: joined once, when it is whole.
      const whole = this.waiting === undefined ? chunk.includes(NEWLINE) : this.pieceBytes + chunk.length >= this.waiting.n
      this.pieces.push(chunk)
      this.pieceBytes += chunk.length
      if (!whole) return
      chunk = Buffer.concat(this.pieces, this.pieceBytes)
      this.pieces = []
      this.pieceBytes = 0
    }
    const buf = chunk
    let at = 0
    while (at < buf.length) {
      if (this.waiting !== undefined) {
        const end = at + this.waiting.n
        if (end > buf.length) break
        const message = this.waiting
        this.waiting = undefined
        at = end
        this.onMessage(message, buf.subarray(end - message.n, end))
        continue
      }
      const newline = buf.indexOf(NEWLINE, at)
      if (newline < 0) break
      let message
      try {
        message = JSON.parse(buf.toString('utf8', at, newline))
      } catch (error) {
        this.broken = true
        this.onBroken(/** @type {Error} */ (error))
        return
      }
      at = newline + 1
      if (typeof message.n === 'number') this.waiting = message
      else this.onMessage(message, undefined)
    }
    if (at < buf.length) {
      this.pieces.push(buf.subarray(at))
      this.pieceBytes = buf.length - at
    }
  }
}
