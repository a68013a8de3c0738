// Turns the daemon's policy flags (--hours, --max-load, --daily-budget) into PolicyOptions; a bad value
// is a UserError naming the flag and the accepted form.
import { UserError } from '../errors.js'
import { parseDuration } from '../tasks/duration.js'
import { parseHours, type PolicyOptions } from './policy.js'

export interface PolicyFlagValues {
  hours?: string | undefined
  maxLoad?: number | undefined
  dailyBudget?: string | undefined
  evict?: boolean | undefined
}

// The policy the flags ask for (empty: always accept).
export function policyFromFlags(values: PolicyFlagValues): PolicyOptions {
  const policy: PolicyOptions = {}
  if (values.hours !== undefined) {
    try {
      policy.hours = parseHours(values.hours)
    } catch (error) {
      throw new UserError(`--hours: ${(error as Error).message}`)
    }
  }
  if (values.maxLoad !== undefined) {
    if (!Number.isFinite(values.maxLoad) || values.maxLoad <= 0)
      throw new UserError(`--max-load must be a positive number, not ${values.maxLoad}`, 'e.g. --max-load 2.5 (the 1-minute load average)')
    policy.maxLoad = values.maxLoad
  }
  if (values.dailyBudget !== undefined) {
    let ms: number
    try {
      ms = parseDuration(values.dailyBudget)
    } catch (error) {
      throw new UserError(`--daily-budget: ${(error as Error).message}`)
    }
    if (ms <= 0 || ms > 86_400_000) throw new UserError(`--daily-budget must be more than 0 and at most 24h, not ${values.dailyBudget}`)
    policy.dailyBudgetMs = ms
  }
  if (values.evict) {
    if (Object.keys(policy).length === 0)
      throw new UserError('--evict needs a policy to act on', 'add --hours, --max-load or --daily-budget')
    policy.evict = true
  }
  return policy
}
