// What a batch reports: one result per task, and the observer through which a caller watches it run.
import type { NodeInfo } from '../protocol/index.js'
import type { TaskSpec } from '../tasks/index.js'

export type TaskStatus = 'succeeded' | 'failed' | 'skipped' | 'cancelled'

export interface TaskResult {
  name: string
  line: number
  status: TaskStatus
  /** Node that ran the last attempt. */
  node?: string
  exitCode: number | null
  signal: string | null
  timedOut: boolean
  durationMs: number
  attempts: number
  /** Why the task failed or was skipped, in words. */
  reason?: string
  /** Files written back, relative to the destination folder. */
  files: string[]
  /** Inputs the task deleted on the node (not deleted here). */
  deleted: string[]
  skipped: { path: string; reason: string }[]
  bytesUp: number
  bytesDown: number
}

export interface BatchResult {
  /** Every task succeeded, and no line was rejected. */
  ok: boolean
  /**
   * Every task's result, in the order of the tasks. A stream (tasks given as an async iterable) keeps
   * only the results of tasks that did not succeed, the first 1,000 of them, in line order: an
   * endless stream must not hold a record of each finished task (watch them with `observer`).
   */
  results: TaskResult[]
  /** How many tasks ended each way (all of them, also when `results` holds only some). */
  counts: Record<TaskStatus, number>
  /** Files written back, over every task. */
  filesReturned: number
  /** Bad lines of a stream (each said through observer.lineRejected): never run. */
  rejected: number
  /** Tasks that succeeded in an earlier run with the same inputs and were not run again (--resume); counted in `counts.succeeded` too. */
  resumed: number
  durationMs: number
}

/** What a batch's summary counts: `results` may hold only some of its tasks (a stream). */
export type BatchTotals = Pick<BatchResult, 'counts' | 'filesReturned' | 'rejected' | 'resumed'>

/** A result of a task not run again because it succeeded before (--resume). */
export const wasResumed = (r: TaskResult): boolean => r.status === 'succeeded' && r.attempts === 0

/** The totals of a batch whose results are all there. */
export function totalsOf(results: readonly TaskResult[]): BatchTotals {
  const counts: Record<TaskStatus, number> = { succeeded: 0, failed: 0, skipped: 0, cancelled: 0 }
  let filesReturned = 0
  let resumed = 0
  for (const r of results) {
    counts[r.status]++
    filesReturned += r.files.length
    if (wasResumed(r)) resumed++
  }
  return { counts, filesReturned, rejected: 0, resumed }
}

/** A bad line of a stream, said at once (a task file is refused whole, before anything runs). */
export interface LineProblem {
  source: string
  line: number
  message: string
  /**
   * The task the line had become, when it was queued before it turned out bad (an `after` that named
   * nothing by the end of the stream, or a cycle): that task then finishes failed with this message.
   */
  task?: string
}

/** One attempt of a task on a node: a row of the job log. */
export interface AttemptRecord {
  task: string
  line: number
  attempt: number
  node: string
  /** Wall-clock ms since the epoch. */
  startedAt: number
  durationMs: number
  exitCode: number | null
  signal: string | null
  /**
   * `requeued`: the attempt did not count against the task (its node was lost, lacked an input, took
   * the slot back, or an input changed while it was sent): the task ran again, under the same number.
   */
  status: TaskStatus | 'requeued'
  bytesUp: number
  bytesDown: number
  /** Why it failed or was requeued; empty when it succeeded. */
  reason: string
}

/** Callbacks for watching a batch; all optional. */
export interface SubmitObserver {
  /** Something worth telling that does not stop the batch (a named node that cannot be reached). */
  warning?(message: string): void
  /** Every task line was parsed and checked: these tasks (in line order) will be run. */
  batchPlanned?(total: number, tasks: readonly TaskSpec[]): void
  nodeAdded?(node: NodeInfo, url: string): void
  nodeLost?(node: NodeInfo, reason: string): void
  taskQueued?(task: TaskSpec): void
  /** A line of a stream was bad: it is not run, and the batch ends with exit code 2. */
  lineRejected?(problem: LineProblem): void
  taskStarted?(task: TaskSpec, node: NodeInfo, attempt: number): void
  /** Output of an attempt that counts, delivered once: held until the attempt ends (see attempt-output.ts). */
  taskOutput?(task: TaskSpec, stream: 'stdout' | 'stderr', data: Buffer): void | Promise<void>
  /** The task printed `::distw::progress PERCENT TEXT` (such lines are not passed to taskOutput). */
  taskProgress?(task: TaskSpec, percent: number, text: string): void
  taskFinished?(result: TaskResult): void
  attemptFinished?(record: AttemptRecord): void
  /**
   * The batch runs nothing and waits for a node: what for, in words ("alpha: paused: outside hours
   * 19:00-07:00; beta: busy with other submitters"); called again when that changes, and with
   * undefined when the wait is over.
   */
  waiting?(reason: string | undefined): void
}
