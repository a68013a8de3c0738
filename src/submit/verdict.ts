// Whether an attempt counts against its task, as a pure decision. A node lost, a lease not held, an
// input changed while it was sent, the node's policy taking the slot back, a queued task taken back:
// none is the task's fault, so the task runs again without spending an attempt, except that a task
// whose node is lost MAX_LOST_RUNS times is failed (one that takes its node down each time would
// otherwise run forever once the node comes back). A failure that counts is retried while retries last.
import type { MessageOf } from '../protocol/index.js'
import type { TaskResult } from './result.js'

/** What an attempt that ran produced: a result without its task's name, line and attempt count. */
export type Outcome = Partial<TaskResult> & Pick<TaskResult, 'status'>

export const MAX_LOST_RUNS = 3

/** How an attempt ended, as the scheduler saw it. */
export type AttemptEnd =
  /** The node refused the reservation. */
  | { how: 'refused' }
  /** The batch was cancelled or halted between the reservation and the run: nothing ran, the lease was given back. */
  | { how: 'stopped' }
  /**
   * It threw: the node was `lost`, did not hold the lease when the run came (`not-held`: a queued
   * task refused, a kept lease expired), an input `changed` while it was sent, or `other` (an input
   * could not be read, a returned file was refused). `ran`: it may have run on the node.
   */
  | { how: 'threw'; error: 'lost' | 'not-held' | 'changed' | 'other'; message: string; ran: boolean }
  /**
   * The node's exit came. `evicted`: its policy stopped the task (--evict); `withdrawn`: we took the
   * queued task back as it started; `missing`: the node lacked an input it was thought to hold.
   */
  | { how: 'exited'; outcome: Outcome; evicted: boolean; withdrawn: boolean; missing: boolean }

export interface Verdict {
  /** `again`: back to the queue, not counted; `retry`: a counted failure with retries left; `final`: recorded. */
  next: 'again' | 'retry' | 'final'
  /** The attempt counts against the task (its number is spent). */
  counts: boolean
  /** The result when `next` is not `again`. */
  outcome: Outcome | undefined
  /** Why it goes back to the queue, for the job log. */
  requeued: string
  /** The task's count of lost runs after this attempt. */
  lostRuns: number
}

/**
 * `lostRuns`: the task's lost runs before this attempt; `retriesLeft`: whether a counted failure of
 * this attempt may be retried (its number ≤ the task's retries).
 */
export function judge(end: AttemptEnd, lostRuns: number, retriesLeft: boolean): Verdict {
  switch (end.how) {
    case 'refused':
      return again('', lostRuns)
    case 'stopped':
      return again('the batch stopped before it ran', lostRuns)
    case 'threw': {
      if (end.error === 'other') return counted({ status: 'failed', reason: end.message }, retriesLeft, lostRuns)
      if (!end.ran) return again(end.message, lostRuns)
      return lostRun(LOST_WHAT[end.error], end.message, lostRuns, retriesLeft)
    }
    case 'exited': {
      const { outcome } = end
      if (end.evicted && outcome.status !== 'cancelled') return again("stopped by the node's policy", lostRuns)
      if (end.withdrawn && outcome.status !== 'succeeded') return again('taken back from the node as it started', lostRuns)
      if (end.missing && outcome.status === 'failed')
        return lostRun('lacked an input', outcome.reason ?? 'an input was missing on its node', lostRuns, retriesLeft)
      return counted(outcome, retriesLeft, lostRuns)
    }
  }
}

// (Plain functions, not closures in judge: it runs once a task.)
const again = (requeued: string, lostRuns: number): Verdict => ({ next: 'again', counts: false, outcome: undefined, requeued, lostRuns })

const counted = (outcome: Outcome, retriesLeft: boolean, lostRuns: number, requeued = ''): Verdict => ({
  next: outcome.status === 'failed' && retriesLeft ? 'retry' : 'final',
  counts: true,
  outcome,
  requeued,
  lostRuns,
})

const LOST_WHAT = { lost: 'was lost', 'not-held': 'did not hold its lease', changed: 'was sent an input that changed meanwhile' }

// One more run that its node lost (the connection, or an input it should have had).
function lostRun(what: string, last: string, lostRuns: number, retriesLeft: boolean): Verdict {
  const lost = lostRuns + 1
  if (lost < MAX_LOST_RUNS) return again(last, lost)
  return counted(
    { status: 'failed', reason: `its node ${what} ${lost} times during its attempts (last: ${last})` },
    retriesLeft,
    lost,
    last,
  )
}

/**
 * What an exit says of the task: its status (a failure while the batch was cancelled counts as
 * cancelled), why, and what came back. `timeoutMs`: the task's own limit, for a node that does not
 * say which it applied.
 */
export function exitOutcome(
  exit: MessageOf<'exit'>,
  timeoutMs: number | undefined,
  cancelled: boolean,
  files: string[],
  bytesUp: number,
): Outcome {
  const ok = exit.exitCode === 0 && !exit.timedOut && exit.error === undefined
  const reason =
    exit.error ??
    (exit.timedOut
      ? timedOutReason(exit.timeoutMs ?? timeoutMs)
      : exit.signal
        ? `killed by ${exit.signal}`
        : ok
          ? undefined
          : `exit code ${exit.exitCode}`)
  return {
    status: cancelled && !ok ? 'cancelled' : ok ? 'succeeded' : 'failed',
    exitCode: exit.exitCode,
    signal: exit.signal,
    timedOut: exit.timedOut,
    durationMs: exit.durationMs,
    files,
    deleted: exit.deleted,
    skipped: exit.skipped,
    bytesUp,
    ...(reason === undefined ? {} : { reason }),
  }
}

// The node says which limit it applied (the task's own, or its default): an old node does not.
function timedOutReason(limitMs: number | undefined): string {
  return limitMs === undefined ? 'timed out' : `timed out after ${limitMs} ms`
}
