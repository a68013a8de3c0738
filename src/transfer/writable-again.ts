// Waiting for a stream that was behind, without trusting that 'drain' comes: a stream that failed or
// closed (a stdout whose reader went away, a file on a full disk) never drains, and a wait for
// 'drain' alone would hold its writer forever. Unlike once(stream, 'drain'), this never rejects.
import type { Writable } from 'node:stream'

/** Resolves when `stream` can take more, or can take nothing any more. */
export function writableAgain(stream: Writable): Promise<void> {
  if (stream.destroyed) return Promise.resolve()
  return new Promise((resolve) => {
    const done = (): void => {
      for (const event of EVENTS) stream.off(event, done)
      resolve()
    }
    for (const event of EVENTS) stream.on(event, done)
  })
}

const EVENTS = ['drain', 'close', 'error'] as const
