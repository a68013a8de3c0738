// Frame buffers for bulk chunks, reused once the socket has written them. A fresh 1 MiB buffer per
// frame means fresh pages: measured here, the page faults of the msgpack copy and the WebSocket mask
// copy were ~80% of a sender's CPU (850 ms of CPU per 256 MiB sent, 170 ms with reused buffers).
import { CHUNK_BYTES } from '../protocol/index.js'

/** Chunks smaller than this are encoded as usual: small buffers come from reused heap memory anyway. */
export const POOLED_MIN_BYTES = 128 * 1024

// A chunk plus its envelope (a `file` message's path may take 16 KiB of UTF-8).
const FRAME_BUFFER_BYTES = CHUNK_BYTES + 64 * 1024

// One pool a process, bounded: a sender waits at SEND_HIGH_WATER_BYTES (4 chunks) queued, so 8
// buffers cover two connections streaming at once; beyond that, frames take fresh memory as before.
const MAX_BUFFERS = 8

export class FramePool {
  private readonly free: Buffer[] = []
  private created = 0

  constructor(
    private readonly bufferBytes = FRAME_BUFFER_BYTES,
    private readonly maxBuffers = MAX_BUFFERS,
  ) {}

  /** A buffer to encode one frame into, or undefined when all are in flight. */
  take(): Buffer | undefined {
    const buffer = this.free.pop()
    if (buffer || this.created >= this.maxBuffers) return buffer
    this.created++
    return Buffer.allocUnsafeSlow(this.bufferBytes)
  }

  /** Gives a buffer back once nothing refers to it any more (its socket write has completed). */
  give(buffer: Buffer): void {
    this.free.push(buffer)
  }
}

export const framePool = new FramePool()
