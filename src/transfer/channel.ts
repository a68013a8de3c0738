// A WebSocket carrying distw frames, with backpressure both ways. Outgoing: send() resolves once the
// socket's buffer is below the high-water mark. Incoming: messages are handled one at a time, in
// order, and the socket is paused while handlers are behind (a slow disk slows the sender). Frames sent
// in one turn of the event loop leave in one write (the socket is corked until the turn ends).
import { EventEmitter } from 'node:events'
import type { Duplex } from 'node:stream'
import type { RawData, WebSocket } from 'ws'
import {
  decodeFrame,
  encodeChunkFrameAt,
  encodeFrame,
  ProtocolError,
  SEND_HIGH_WATER_BYTES,
  type Message,
  type Outgoing,
} from '../protocol/index.js'
import { FRAME_HEADROOM, framePool, POOLED_MIN_BYTES } from './frame-pool.js'
import { wsFrameHeader } from './ws-frame.js'

/** Frames sendSoon holds at most, and for how long. */
const HOLD_FRAMES = 16
const HOLD_MS = 20

// The socket is paused when this many messages, or this many bytes, wait to be handled.
const PAUSE_AFTER_QUEUED = 16
const PAUSE_AFTER_BYTES = 2 * 1024 * 1024

export type MessageHandler = (message: Message) => void | Promise<void>

interface ChannelEvents {
  close: [code: number, reason: string]
  /** A frame or handler failed; the channel is being closed with the error's close code. */
  failure: [error: ProtocolError]
}

/** A bulk chunk goes into a pooled buffer (it may have been read there already); anything else as usual. */
function encode(message: Outgoing): { frame: Buffer; pooled?: Buffer; readInPlace?: boolean } {
  if ('data' in message && message.data.length >= POOLED_MIN_BYTES) {
    const holding = framePool.holding(message.data)
    const pooled = holding ?? framePool.take()
    const frame = pooled && encodeChunkFrameAt(message, pooled, FRAME_HEADROOM)
    if (frame) return { frame, pooled, readInPlace: holding !== undefined }
    if (pooled) framePool.give(pooled)
  } else if ('data' in message) {
    // A small last chunk read into a pooled buffer: encoded (copied) as usual, the buffer given back.
    const pooled = framePool.holding(message.data)
    const frame = encodeFrame(message)
    if (pooled) framePool.give(pooled)
    return { frame }
  }
  return { frame: encodeFrame(message) }
}

export class Channel extends EventEmitter<ChannelEvents> {
  private readonly queue: { message: Message; bytes: number }[] = []
  private queuedBytes = 0
  private draining = false
  private paused = false
  private handler: MessageHandler = () => {}
  private corked = false
  /** Frames given to sendSoon, not sent yet. */
  private held: Outgoing[] = []
  private heldTimer: NodeJS.Timeout | undefined
  closed = false

  constructor(readonly ws: WebSocket) {
    super()
    ws.binaryType = 'nodebuffer'
    ws.on('message', (data, isBinary) => this.receive(data, isBinary))
    ws.on('close', (code, reason) => {
      this.closed = true
      this.dropHeld()
      this.queue.length = 0
      this.queuedBytes = 0
      this.emit('close', code, reason.toString())
    })
    // Errors on the socket (a peer breaking the framing, ECONNRESET) end in 'close'; never throw.
    ws.on('error', () => {})
  }

  /** True while the socket holds more than the high-water mark: producers should wait on send(). */
  get congested(): boolean {
    return this.ws.bufferedAmount >= SEND_HIGH_WATER_BYTES
  }

  onMessage(handler: MessageHandler): void {
    this.handler = handler
  }

  /** Sends a message; resolves when it is fine to send more. Sending on a closed channel is a no-op. */
  send(message: Outgoing): Promise<void> {
    if (this.held.length > 0) this.sendHeld()
    if (this.closed || this.ws.readyState !== this.ws.OPEN) {
      // A chunk read into a pooled buffer (frameChunks) goes back to the pool unsent.
      const pooled = 'data' in message ? framePool.holding(message.data) : undefined
      if (pooled) framePool.give(pooled)
      return Promise.resolve()
    }
    const { frame, pooled, readInPlace } = encode(message)
    // The socket may hold the frame until its write completes (the callback): only then is it reused.
    const written = pooled ? () => framePool.give(pooled) : undefined
    const write = (done?: () => void): void => (pooled ? this.writeWhole(frame, pooled, done) : this.ws.send(frame, done))
    if (!pooled) this.cork()
    // Over TLS a chunk read in place (frameChunks: an upload) is written alone: frames queued behind
    // one being written leave in one multi-buffer write, which Node copies into a new buffer before
    // encrypting it (as said below). So its sender waits for its write; frameChunks reads the next
    // chunk meanwhile, and the kernel's socket buffer keeps the peer busy. A sender that reads only
    // after send() (a returned file) is not held up so.
    if (this.ws.bufferedAmount < SEND_HIGH_WATER_BYTES && !(readInPlace && this.encrypted())) {
      write(written)
      return Promise.resolve()
    }
    return new Promise((resolve) =>
      write(() => {
        written?.()
        resolve()
      }),
    )
  }

  /**
   * Sends `message` later: just before the next frame sent with send(), when HOLD_FRAMES wait, or after
   * HOLD_MS. For frames the peer needs no time soon (the exit of a task whose lease runs the next queued
   * task with more queued behind): they then travel together, the peer handles them on one wakeup, and
   * the runs it sends back for them come together too. Order is kept: a frame sent later goes after them.
   */
  sendSoon(message: Outgoing): void {
    this.held.push(message)
    if (this.held.length >= HOLD_FRAMES) this.sendHeld()
    else this.heldTimer ??= setTimeout(() => this.sendHeld(), HOLD_MS)
  }

  private sendHeld(): void {
    const held = this.held
    this.dropHeld()
    for (const message of held) void this.send(message)
  }

  private dropHeld(): void {
    this.held = []
    clearTimeout(this.heldTimer)
    this.heldTimer = undefined
  }

  // A pooled frame goes to the socket as one buffer, its WebSocket header written in the room before
  // it: ws would write its header and the frame as two, and over TLS Node joins the buffers of one
  // write into a new one before encrypting them (a copy of every byte sent; ~0.1 s of CPU per GiB here).
  // Not corked, for the same reason: what the turn corked so far leaves first, in order. Where ws's
  // internals are not as expected (ws-frame.ts), ws sends it.
  private writeWhole(frame: Buffer, pooled: Buffer, done?: () => void): void {
    const socket = this.socket()
    const header = socket && wsFrameHeader(this.ws, frame.length)
    if (!socket || !header || frame.byteOffset - pooled.byteOffset < header.length) {
      this.cork()
      this.ws.send(frame, done)
      return
    }
    const start = frame.byteOffset - pooled.byteOffset - header.length
    header.copy(pooled, start)
    this.uncork()
    socket.write(pooled.subarray(start, start + header.length + frame.length), done)
  }

  private socket(): Duplex | undefined {
    return (this.ws as unknown as { _socket?: Duplex })._socket
  }

  private encrypted(): boolean {
    return (this.socket() as { encrypted?: boolean } | undefined)?.encrypted === true
  }

  // Frames sent in the same turn (a task's exit and the next one's start, several runs) leave in one
  // write, and reach the peer in one read: a write on loopback costs both sides CPU (measured: the
  // daemon made 2 writes a trivial task, each waking the submitter). The turn ends within the loop
  // iteration, so nothing waits longer than the code that runs now; a send callback (backpressure)
  // fires after the write as before.
  private cork(): void {
    if (this.corked) return
    const socket = this.socket()
    if (!socket || socket.writableCorked > 0) return
    this.corked = true
    socket.cork()
    setImmediate(() => this.uncork())
  }

  private uncork(): void {
    if (!this.corked) return
    this.corked = false
    this.socket()?.uncork()
  }

  /** Tells the peer why, then closes. */
  fail(error: ProtocolError): void {
    if (this.closed) return
    this.emit('failure', error)
    void this.send({ type: 'error', code: error.code, message: error.message })
    this.close(error.closeCode, error.code)
  }

  close(code = 1000, reason = ''): void {
    if (this.closed) return
    this.sendHeld()
    this.closed = true
    this.queue.length = 0
    this.queuedBytes = 0
    this.ws.close(code, reason.slice(0, 120))
    // A peer that never answers the close handshake must not hold the socket open.
    setTimeout(() => this.ws.terminate(), 2000).unref()
  }

  /** Drops the connection at once, without the close handshake. */
  terminate(): void {
    this.closed = true
    this.dropHeld()
    this.queue.length = 0
    this.queuedBytes = 0
    this.ws.terminate()
  }

  private receive(data: RawData, isBinary: boolean): void {
    if (this.closed) return
    if (!isBinary || !Buffer.isBuffer(data)) {
      this.fail(new ProtocolError('DISTW_ERR_BAD_FRAME', 'text frames are not part of the protocol'))
      return
    }
    let message: Message
    try {
      message = decodeFrame(data)
    } catch (error) {
      this.fail(error instanceof ProtocolError ? error : new ProtocolError('DISTW_ERR_BAD_FRAME', String(error)))
      return
    }
    this.queue.push({ message, bytes: data.length })
    this.queuedBytes += data.length
    if ((this.queue.length > PAUSE_AFTER_QUEUED || this.queuedBytes > PAUSE_AFTER_BYTES) && !this.paused) {
      this.paused = true
      this.ws.pause()
    }
    if (!this.draining) void this.drain()
  }

  private async drain(): Promise<void> {
    this.draining = true
    while (this.queue.length > 0 && !this.closed) {
      const { message, bytes } = this.queue.shift() as { message: Message; bytes: number }
      try {
        // A handler that returns nothing is done: no await (a microtask a frame) before the next.
        const handled = this.handler(message)
        if (handled) await handled
      } catch (error) {
        const failure =
          error instanceof ProtocolError
            ? error
            : new ProtocolError('DISTW_ERR_INTERNAL', `failed to handle ${message.type}: ${(error as Error).message}`)
        this.fail(failure)
      }
      this.queuedBytes -= bytes
      if (this.paused && this.queue.length <= PAUSE_AFTER_QUEUED / 2 && this.queuedBytes <= PAUSE_AFTER_BYTES / 2) {
        this.paused = false
        this.ws.resume()
      }
    }
    this.draining = false
  }
}
