// Frame buffers for bulk chunks, reused once the socket has written them. A fresh 1 MiB buffer per
// frame means fresh pages: measured here, the page faults of the msgpack copy and the WebSocket mask
// copy were ~80% of a sender's CPU (850 ms of CPU per 256 MiB sent, 170 ms with reused buffers).
// A file's chunk is read straight into the place its frame holds it (`frameChunks`), so it is never
// copied in this process; the room before it takes the msgpack envelope and the WebSocket header.
import { CHUNK_BYTES, encodeChunkFrameAt, encodeFrame, type Outgoing } from '../protocol/index.js'
import type { ChunkBuffers } from './chunks.js'

/** Chunks smaller than this are encoded as usual: small buffers come from reused heap memory anyway. */
export const POOLED_MIN_BYTES = 128 * 1024

/** Where a chunk starts in a pooled buffer: after room for its envelope (a `file` message's path may take 16 KiB of UTF-8) and the WebSocket header. */
export const FRAME_HEADROOM = 64 * 1024

const FRAME_BUFFER_BYTES = FRAME_HEADROOM + CHUNK_BYTES

// One pool a process, bounded: a sender waits at SEND_HIGH_WATER_BYTES (4 chunks) queued, so 8
// buffers cover two connections streaming at once; beyond that, frames take fresh memory as before.
const MAX_BUFFERS = 8

export class FramePool {
  private readonly free: Buffer[] = []
  /** Every buffer this pool made, by its memory: how a chunk read into one is known for one. */
  private readonly made = new Map<ArrayBufferLike, Buffer>()

  constructor(
    private readonly bufferBytes = FRAME_BUFFER_BYTES,
    private readonly maxBuffers = MAX_BUFFERS,
  ) {}

  /** A buffer to encode one frame into, or undefined when all are in flight. */
  take(): Buffer | undefined {
    const buffer = this.free.pop()
    if (buffer || this.made.size >= this.maxBuffers) return buffer
    const made = Buffer.allocUnsafeSlow(this.bufferBytes)
    this.made.set(made.buffer, made)
    return made
  }

  /** Gives a buffer back once nothing refers to it any more (its socket write has completed). */
  give(buffer: Buffer): void {
    this.free.push(buffer)
  }

  /** The pooled buffer `chunk` was read into at its frame's place (frameChunks), if it was. */
  holding(chunk: Uint8Array): Buffer | undefined {
    const buffer = this.made.get(chunk.buffer)
    return buffer && chunk.byteOffset === buffer.byteOffset + FRAME_HEADROOM ? buffer : undefined
  }
}

export const framePool = new FramePool()

/**
 * Buffers for fileChunks that put each chunk where a pooled frame carries it: a chunk so read is the
 * caller's, to be sent (Channel.send gives its buffer back once written) or given back. When every
 * pooled buffer is in flight, a chunk takes fresh memory, which its frame then copies.
 */
export const frameChunks: ChunkBuffers = {
  take: () => (framePool.take() ?? Buffer.allocUnsafeSlow(FRAME_BUFFER_BYTES)).subarray(FRAME_HEADROOM, FRAME_BUFFER_BYTES),
  drop: (chunk) => {
    const pooled = framePool.holding(chunk)
    if (pooled) framePool.give(pooled)
  },
}

/** A bulk chunk goes into a pooled buffer (it may have been read there already); anything else as usual. */
export function encodeOutgoing(message: Outgoing): { frame: Buffer; pooled?: Buffer; readInPlace?: boolean } {
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
