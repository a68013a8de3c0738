// `--halt now,fail=N` / `--halt soon,fail=N` (GNU Parallel's spelling): when to give up on a batch;
// FailureCount counts its failures against it.
import { UserError } from '../errors.js'
import type { HaltPolicy } from './schedule-options.js'

export function parseHalt(text: string): HaltPolicy {
  const match = /^(now|soon),fail=(\d+)$/.exec(text.trim())
  const failures = Number(match?.[2])
  if (!match || !(failures >= 1)) {
    throw new UserError(
      `bad --halt "${text}"`,
      'write now,fail=N (cancel running tasks after N failures) or soon,fail=N (let them finish, start no more)',
    )
  }
  return { when: match[1] as 'now' | 'soon', failures }
}

/** Counts a batch's failures against its --halt policy. */
export class FailureCount {
  private failures = 0
  /** The batch reached its --halt count: once true, stays true. */
  halted = false

  constructor(private readonly policy: HaltPolicy | undefined) {}

  /** One more failure: the policy's `when`, with the warning to give, if this one halts the batch. */
  add(): { when: HaltPolicy['when']; warning: string } | undefined {
    this.failures++
    const halt = this.policy
    if (!halt || this.halted || this.failures < halt.failures) return undefined
    this.halted = true
    return { when: halt.when, warning: `halting after ${this.failures} failure(s) (--halt ${halt.when},fail=${halt.failures})` }
  }
}
