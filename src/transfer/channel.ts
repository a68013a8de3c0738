// A WebSocket carrying distw frames, with backpressure both ways. Outgoing: send() resolves once the
// socket's buffer is below the high-water mark. Incoming: messages are handled one at a time, in
// order, and the socket is paused while handlers are behind (a slow disk slows the sender). Messages sent
// in one turn of the event loop leave as one frame, a batch (see batch()).
import { EventEmitter } from 'node:events'
import type { Duplex } from 'node:stream'
import type { RawData, WebSocket } from 'ws'
import {
  decodeFrames,
  joinFrames,
  MAX_MESSAGES_PER_FRAME,
  ProtocolError,
  SEND_HIGH_WATER_BYTES,
  type Message,
  type Outgoing,
} from '../protocol/index.js'
import { encodeOutgoing, framePool } from './frame-pool.js'
import { wsFrameHeader } from './ws-frame.js'

/** Messages smaller than this are batched; a larger one goes alone (joining it would copy it, to save a
 *  frame header: output and file chunks gain nothing). MAX_MESSAGES_PER_FRAME of them fit in a frame. */
const BATCHED_BELOW_BYTES = 8 * 1024

/** The longest WebSocket header (a client's, with a 64-bit length): room left before a batch for it. */
const HEADER_ROOM = 14

// A copy of `frame` after HEADER_ROOM free bytes.
function withRoom(frame: Buffer): Buffer {
  const out = Buffer.allocUnsafe(HEADER_ROOM + frame.length)
  frame.copy(out, HEADER_ROOM)
  return out
}

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

export class Channel extends EventEmitter<ChannelEvents> {
  private readonly queue: { message: Message; bytes: number }[] = []
  private queuedBytes = 0
  private draining = false
  private paused = false
  private handler: MessageHandler = () => {}
  /** Encoded messages of this turn, not written yet (batch()), their bytes, and senders waiting on them. */
  private batched: Buffer[] = []
  private batchedBytes = 0
  private batchWaiters: (() => void)[] = []
  private flushing = false
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
      this.dropBatched()
      this.queue.length = 0
      this.queuedBytes = 0
      this.emit('close', code, reason.toString())
    })
    // Errors on the socket (a peer breaking the framing, ECONNRESET) end in 'close'; never throw.
    ws.on('error', () => {})
  }

  /** True while the socket holds more than the high-water mark: producers should wait on send(). */
  get congested(): boolean {
    return this.unsent >= SEND_HIGH_WATER_BYTES
  }

  /** Bytes sent but not yet written to the peer: the socket's buffer and this turn's batch. */
  get unsent(): number {
    return this.ws.bufferedAmount + this.batchedBytes
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
    const { frame, pooled, readInPlace } = encodeOutgoing(message)
    if (frame.length < BATCHED_BELOW_BYTES) return this.batch(frame)
    // A larger frame goes alone, after what the turn batched so far (order is kept).
    this.flush()
    // The socket may hold the frame until its write completes (the callback): only then is it reused.
    const written = pooled ? () => framePool.give(pooled) : undefined
    const write = (done?: () => void): void => (pooled ? this.writeWhole(frame, pooled, done) : this.ws.send(frame, done))
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

  // Messages sent in one turn of the event loop (a task's exit and the next one's start, several runs,
  // a read's worth of exits) leave as one frame at the turn's end: one WebSocket frame, one write, one
  // read and one 'message' for the peer instead of one each (PROTOCOL.md §1, batches). Nothing waits
  // for more than the code that runs now: a lone message leaves at the same moment, alone in its frame.
  private batch(frame: Buffer): Promise<void> {
    this.batched.push(frame)
    this.batchedBytes += frame.length
    if (this.batched.length >= MAX_MESSAGES_PER_FRAME) this.flush()
    else if (!this.flushing) {
      this.flushing = true
      setImmediate(this.flushSoon)
    }
    if (!this.congested) return Promise.resolve()
    // Congested: the sender waits until this batch's write completes (backpressure, as for a bulk frame).
    return new Promise((resolve) => this.batchWaiters.push(resolve))
  }

  private readonly flushSoon = (): void => {
    this.flushing = false
    this.flush()
  }

  /** Writes what the turn batched: one frame (a lone message as itself, several as a batch). */
  private flush(): void {
    if (this.batched.length === 0) return
    const { frames, waiters } = this.takeBatch()
    const done = waiters.length === 0 ? undefined : () => waiters.forEach((resolve) => resolve())
    if (this.ws.readyState !== this.ws.OPEN) return done?.()
    // Joined after room for the WebSocket header, and written with it as one buffer (writeWhole): the
    // copy of a few hundred bytes costs less than ws's two writes (~3% of the submitter's CPU on trivial
    // tasks, perf).
    const joined = frames.length === 1 ? withRoom(frames[0] as Buffer) : joinFrames(frames, HEADER_ROOM)
    this.writeWhole(joined.subarray(HEADER_ROOM), joined, done)
  }

  // Closing: what was batched is dropped, and whoever waits on it goes on (its sends are no-ops now).
  private dropBatched(): void {
    for (const resolve of this.takeBatch().waiters) resolve()
  }

  /** What the turn batched, and who waits on its write; the batch starts empty again. */
  private takeBatch(): { frames: Buffer[]; waiters: (() => void)[] } {
    const taken = { frames: this.batched, waiters: this.batchWaiters }
    this.batched = []
    this.batchedBytes = 0
    this.batchWaiters = []
    return taken
  }

  /**
   * Sends `message` later: just before the next message sent with send() (in its frame), when
   * HOLD_FRAMES wait, or after HOLD_MS. For messages the peer needs no time soon (the exit of a task whose
   * lease runs the next queued task with more queued behind): they then travel together, the peer
   * handles them on one wakeup, and the runs it sends back for them come together too. Order is kept: a
   * message sent later goes after them.
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
  // Where ws's internals are not as expected (ws-frame.ts), ws sends it.
  private writeWhole(frame: Buffer, pooled: Buffer, done?: () => void): void {
    const socket = this.socket()
    const header = socket && wsFrameHeader(this.ws, frame.length)
    if (!socket || !header || frame.byteOffset - pooled.byteOffset < header.length) {
      this.ws.send(frame, done)
      return
    }
    const start = frame.byteOffset - pooled.byteOffset - header.length
    header.copy(pooled, start)
    socket.write(pooled.subarray(start, start + header.length + frame.length), done)
  }

  private socket(): Duplex | undefined {
    return (this.ws as unknown as { _socket?: Duplex })._socket
  }

  private encrypted(): boolean {
    return (this.socket() as { encrypted?: boolean } | undefined)?.encrypted === true
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
    this.flush()
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
    this.dropBatched()
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
    let messages: Message[]
    try {
      messages = decodeFrames(data)
    } catch (error) {
      this.fail(error instanceof ProtocolError ? error : new ProtocolError('DISTW_ERR_BAD_FRAME', String(error)))
      return
    }
    // A batch's bytes are counted with its last message: they are all freed once it is handled.
    const last = messages.length - 1
    for (let i = 0; i < last; i++) this.queue.push({ message: messages[i] as Message, bytes: 0 })
    this.queue.push({ message: messages[last] as Message, bytes: data.length })
    this.queuedBytes += data.length
    if ((this.queue.length > PAUSE_AFTER_QUEUED || this.queuedBytes > PAUSE_AFTER_BYTES) && !this.paused) {
      this.paused = true
      this.ws.pause()
    }
    if (!this.draining) this.drain()
  }

  // Handles the queued messages in order. A handler that returns nothing is done: the next is handled
  // at once, with no promise made (one a frame was ~1% of a submitter's CPU on trivial tasks); one that
  // returns a promise holds the rest until it settles (continued in drainAfter).
  private drain(): void {
    this.draining = true
    while (this.queue.length > 0 && !this.closed) {
      const { message, bytes } = this.queue.shift() as { message: Message; bytes: number }
      let handled: void | Promise<void> = undefined
      try {
        handled = this.handler(message)
      } catch (error) {
        this.failHandling(error, message)
      }
      if (handled) {
        void this.drainAfter(handled, message, bytes)
        return
      }
      this.handled(bytes)
    }
    this.draining = false
  }

  private async drainAfter(handling: Promise<void>, message: Message, bytes: number): Promise<void> {
    try {
      await handling
    } catch (error) {
      this.failHandling(error, message)
    }
    this.handled(bytes)
    this.drain()
  }

  private failHandling(error: unknown, message: Message): void {
    const failure =
      error instanceof ProtocolError
        ? error
        : new ProtocolError('DISTW_ERR_INTERNAL', `failed to handle ${message.type}: ${(error as Error).message}`)
    this.fail(failure)
  }

  // A message was handled: its bytes are freed, and a paused socket resumes once the queue is short.
  private handled(bytes: number): void {
    this.queuedBytes -= bytes
    if (this.paused && this.queue.length <= PAUSE_AFTER_QUEUED / 2 && this.queuedBytes <= PAUSE_AFTER_BYTES / 2) {
      this.paused = false
      this.ws.resume()
    }
  }
}
