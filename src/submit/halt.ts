// `--halt now,fail=N`, `soon,success=N`, `now,done=N` (GNU Parallel's spelling): when to stop a batch
// early; HaltCount counts its tasks' ends against it.
import { UserError } from '../errors.js'
import type { TaskStatus } from './result.js'
import type { HaltPolicy } from './schedule-options.js'

const HINT =
  'write WHEN,WHAT=N: WHEN is now (cancel running tasks) or soon (let them finish, start no more); WHAT is fail, success or done (either); N a count, e.g. now,fail=1 or soon,success=3'

export function parseHalt(text: string): HaltPolicy {
  const spelled = text.trim()
  if (/^(now|soon),(fail|success|done)=\d+%$/.test(spelled))
    throw new UserError(`bad --halt "${text}": distw counts tasks, not percentages (a stream has no total)`, HINT)
  const match = /^(now|soon),(fail|success|done)=(\d+)$/.exec(spelled)
  const count = Number(match?.[3])
  if (!match || !(count >= 1)) throw new UserError(`bad --halt "${text}"`, HINT)
  return { when: match[1] as HaltPolicy['when'], on: match[2] as HaltPolicy['on'], count }
}

const COUNTED: Readonly<Record<HaltPolicy['on'], readonly TaskStatus[]>> = {
  fail: ['failed'],
  success: ['succeeded'],
  done: ['failed', 'succeeded'],
}

/** Counts the ends of a batch's tasks against its --halt policy. */
export class HaltCount {
  private counted = 0
  /** The batch reached its --halt count: once true, stays true. */
  halted = false

  constructor(readonly policy: HaltPolicy | undefined) {}

  /** One more task ended so: the policy's `when`, with the warning to give, if this one halts the batch. */
  add(status: TaskStatus): { when: HaltPolicy['when']; warning: string } | undefined {
    const halt = this.policy
    if (!halt || this.halted || !COUNTED[halt.on].includes(status)) return undefined
    if (++this.counted < halt.count) return undefined
    this.halted = true
    const [one, many] = { fail: ['failure', 'failures'], success: ['success', 'successes'], done: ['task done', 'tasks done'] }[halt.on]
    return {
      when: halt.when,
      warning: `halting after ${this.counted} ${this.counted === 1 ? one : many} (--halt ${halt.when},${halt.on}=${halt.count})`,
    }
  }

  /** Halted on what was asked for (success, done): the tasks it cancelled do not make the batch fail. */
  get haltedAsAsked(): boolean {
    return this.halted && this.policy?.on !== 'fail'
  }
}
