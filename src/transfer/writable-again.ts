// Waiting for a stream that was behind, without trusting that 'drain' comes: a stream that failed or
// closed (a stdout whose reader went away, a file on a full disk) never drains, and a wait for
// 'drain' alone would hold its writer forever. Unlike once(stream, 'drain'), this never rejects.
import type { Writable } from 'node:stream'

/**
 * Resolves when `stream` can take more, or can take nothing any more. Callers waiting at the same time
 * share one wait: output held until a task ended is written in one go, chunk by chunk, and each chunk
 * asked for its own wait (three listeners each: Node's "possible EventEmitter memory leak" warning
 * after the 11th).
 */
export function writableAgain(stream: Writable): Promise<void> {
  if (stream.destroyed) return Promise.resolve()
  const pending = waits.get(stream)
  if (pending) return pending
  const wait = new Promise<void>((resolve) => {
    const done = (): void => {
      for (const event of EVENTS) stream.off(event, done)
      waits.delete(stream)
      resolve()
    }
    for (const event of EVENTS) stream.on(event, done)
  })
  waits.set(stream, wait)
  return wait
}

const EVENTS = ['drain', 'close', 'error'] as const
const waits = new WeakMap<Writable, Promise<void>>()
