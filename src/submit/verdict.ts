// Whether an attempt counts against its task, as a pure decision. A node lost, a lease not held, an
// input changed while it was sent, the node's policy taking the slot back, a queued task taken back:
// none is the task's fault, so the task runs again without spending an attempt, except that a task
// whose node is lost MAX_LOST_RUNS times is failed (one that takes its node down each time would
// otherwise run forever once the node comes back). A failure that counts is retried while retries last.
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
  const again = (requeued: string, lost = lostRuns): Verdict => ({
    next: 'again',
    counts: false,
    outcome: undefined,
    requeued,
    lostRuns: lost,
  })
  const counted = (outcome: Outcome, lost = lostRuns, requeued = ''): Verdict => ({
    next: outcome.status === 'failed' && retriesLeft ? 'retry' : 'final',
    counts: true,
    outcome,
    requeued,
    lostRuns: lost,
  })
  // One more run that its node lost (the connection, or an input it should have had).
  const lostRun = (what: string, last: string): Verdict => {
    const lost = lostRuns + 1
    if (lost < MAX_LOST_RUNS) return again(last, lost)
    return counted({ status: 'failed', reason: `its node ${what} ${lost} times during its attempts (last: ${last})` }, lost, last)
  }
  switch (end.how) {
    case 'refused':
      return again('')
    case 'stopped':
      return again('the batch stopped before it ran')
    case 'threw': {
      if (end.error === 'other') return counted({ status: 'failed', reason: end.message })
      if (!end.ran) return again(end.message)
      const what = { lost: 'was lost', 'not-held': 'did not hold its lease', changed: 'was sent an input that changed meanwhile' }
      return lostRun(what[end.error], end.message)
    }
    case 'exited': {
      const { outcome } = end
      if (end.evicted && outcome.status !== 'cancelled') return again("stopped by the node's policy")
      if (end.withdrawn && outcome.status !== 'succeeded') return again('taken back from the node as it started')
      if (end.missing && outcome.status === 'failed')
        return lostRun('lacked an input', outcome.reason ?? 'an input was missing on its node')
      return counted(outcome)
    }
  }
}
