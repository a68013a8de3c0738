// What the batch does with an attempt that ended. verdict.ts judges it; this acts on the verdict: not
// counted, or a counted failure with retries left (then on another node if one fits: `tried`), the
// task goes back to the head of the queue; otherwise it has its result, which may halt the batch or
// make its dependents ready or skipped (the scheduler's `conclude`). Each attempt that ran is a job-log row.
import type { Attempt } from './attempt.js'
import type { NodeSlots } from './node-slots.js'
import type { SubmitObserver } from './result.js'
import type { TaskQueue } from './task-queue.js'
import { attemptRecord, type TaskRecord } from './task-record.js'
import { judge, type AttemptEnd, type Outcome } from './verdict.js'

/** What acting on an attempt's end needs of the batch. */
export interface AttemptEndHost {
  readonly observer: SubmitObserver
  /** Cancelled (Ctrl-C, --halt now): nothing goes back to the queue. */
  readonly cancelled: boolean
  /** --halt: nothing goes back to the queue either. */
  readonly halted: boolean
  /** The queue: a task that runs again goes back to its head. */
  readonly waiting: TaskQueue
  /** Records the task's result (once; `node`: where it ran); a failure counts towards --halt. */
  conclude(record: TaskRecord, outcome: Outcome, node?: NodeSlots): void
}

export function endAttempt(host: AttemptEndHost, attempt: Attempt, record: TaskRecord, end: AttemptEnd): void {
  const task = record.spec
  const { client } = attempt.node
  const verdict = judge(end, record.lostRuns, attempt.number <= task.retries)
  record.lostRuns = verdict.lostRuns
  if (verdict.counts) record.attempts = attempt.number
  // The node's owner wants it back (--evict): like a lost node, not the task's fault.
  if (end.how === 'exited' && end.evicted && verdict.next === 'again')
    host.observer.warning?.(`${task.name} was stopped by ${client.info.name}'s policy; it goes back to the queue`)
  const outcome = verdict.next === 'again' ? undefined : verdict.outcome
  if (attempt.ran)
    host.observer.attemptFinished?.(
      attemptRecord(task, client.info, attempt.number, attempt.startedAt, outcome, verdict.requeued, attempt.bytesDown),
    )
  if (verdict.next !== 'final' && !host.cancelled && !host.halted) {
    attempt.output.discard()
    if (verdict.next === 'retry') record.tried.add(client)
    host.waiting.unshift(record)
  } else {
    // Not awaited: the held output goes to the terminal while the task's record is written.
    void attempt.output.flush()
    host.conclude(
      record,
      outcome
        ? { ...outcome, node: client.info.name, bytesDown: attempt.bytesDown }
        : { status: 'cancelled', reason: host.halted ? 'halted' : 'cancelled' },
      attempt.node,
    )
  }
}
