// The daemon's policy flags (--hours, --max-load, --daily-budget, --evict) as PolicyOptions. Each value
// was checked by its flag (src/flags/values.ts); what is left is how they go together.
import type { HoursWindow, PolicyOptions } from '../daemon/policy/policy.js'
import { UserError } from '../errors.js'

export interface PolicyFlagValues {
  hours?: HoursWindow | undefined
  'max-load'?: number | undefined
  'daily-budget'?: number | undefined
  evict?: boolean | undefined
}

// The policy the flags ask for (empty: always accept).
export function policyFromFlags(values: PolicyFlagValues): PolicyOptions {
  const policy: PolicyOptions = {}
  if (values.hours !== undefined) policy.hours = values.hours
  if (values['max-load'] !== undefined) policy.maxLoad = values['max-load']
  if (values['daily-budget'] !== undefined) policy.dailyBudgetMs = values['daily-budget']
  if (values.evict) {
    if (Object.keys(policy).length === 0)
      throw new UserError('--evict needs a policy to act on', 'add --hours, --max-load or --daily-budget')
    policy.evict = true
  }
  return policy
}
