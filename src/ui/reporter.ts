// What `distw submit` reports through: the observer callbacks, then the final summary, then close.
import type { BatchTotals, SubmitObserver, TaskResult } from '../submit/result.js'

export interface Reporter extends SubmitObserver {
  summary(results: TaskResult[], durationMs: number, totals?: BatchTotals): string
  /** Stops anything still drawing (a spinner) before the summary is printed. */
  close(): void
}

export interface ReporterStreams {
  out: (text: string | Uint8Array) => void
  err: (text: string | Uint8Array) => void
}
