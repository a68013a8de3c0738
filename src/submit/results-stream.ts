// The batch as an async iterator: `for await (const result of submitResults(options))` yields each
// task's result as it finishes; `.batch` resolves to the whole BatchResult (or rejects like submit()).
import type { BatchResult, TaskResult } from './result.js'
import { submit, type SubmitOptions } from './submit.js'

export interface ResultStream extends AsyncIterable<TaskResult> {
  /** The whole batch, once every task has finished. */
  batch: Promise<BatchResult>
}

// Runs submit() with an observer that queues each finished task for the iterator; any observer given
// in `options` is still called.
export function submitResults(options: SubmitOptions): ResultStream {
  const queue: TaskResult[] = []
  let wake: (() => void) | undefined
  let settled = false
  const batch = submit({
    ...options,
    observer: {
      ...options.observer,
      taskFinished(result) {
        options.observer?.taskFinished?.(result)
        queue.push(result)
        wake?.()
      },
    },
  }).finally(() => {
    settled = true
    wake?.()
  })
  batch.catch(() => {}) // reported through the iterator and `.batch`, never as an unhandled rejection
  return {
    batch,
    async *[Symbol.asyncIterator]() {
      for (;;) {
        while (queue.length > 0) yield queue.shift() as TaskResult
        if (settled) break
        await new Promise<void>((resolve) => (wake = resolve))
        wake = undefined
      }
      await batch // a failed batch (no node reachable, bad task line) throws here
    },
  }
}
