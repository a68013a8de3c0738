// @ts-check
// The pipe between the daemon and its spawn helper (both sides use this file): one JSON line a message,
// and a message with a payload (an output chunk) names its length in `n` and has its bytes raw right
// after its line. The messages of one turn of the event loop leave in one write.
//
// Why not Node's IPC channel (`fork`, `advanced` serialization): a V8 Serializer object and a write
// per message; a round trip in a loop cost ~40 µs of CPU against ~22 µs as JSON lines on a plain pipe,
// and the daemon paid it twice a task. The peer is this process's own parent or child, so a message
// is trusted as it is (no schema); a line that does not parse means a broken peer, for `onBroken`.
import { writeDirect } from './direct-write.mjs'

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
    this.sendJson(JSON.stringify(message), data)
  }

  /**
   * A message already serialised: one JSON object, no newline (a sender that reuses parts of its text).
   * @param {string} json
   * @param {Buffer} [data]
   */
  sendJson(json, data) {
    this.text += json + '\n'
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
    writeDirect(this.out, this.fd, parts)
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
