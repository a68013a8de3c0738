// `--halt now,fail=N` / `--halt soon,fail=N` (GNU Parallel's spelling): when to give up on a batch.
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
