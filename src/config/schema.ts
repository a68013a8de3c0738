// The config file (~/.config/distw/config.json) and the DISTW_<NAME> variables hold the daemon's flags
// by their flag names: every flag of src/flags/daemon.ts but --config itself. The schema here checks
// only the JSON shape; each value is then read by its flag (load.ts), with the flag's own bounds.
// Precedence: flags > environment (DISTW_<NAME>, e.g. DISTW_WORK_DIR) > file > defaults.
import { z } from 'zod'
import { daemonFlags } from '../flags/daemon.js'

export type ConfigKey = Exclude<keyof typeof daemonFlags, 'config'>
type FlagDefinition = (typeof daemonFlags)[ConfigKey]

export const CONFIG_KEYS = (Object.keys(daemonFlags) as (keyof typeof daemonFlags)[]).filter((key): key is ConfigKey => key !== 'config')

/** The flag that reads a config key. */
export function configFlag(key: ConfigKey): FlagDefinition {
  return daemonFlags[key]
}

const scalar = z.union([z.string(), z.number()])

// A switch is a JSON boolean; a repeatable flag a list (or one value); any other a string or number.
function shapeOf(flag: FlagDefinition): z.ZodType {
  if (flag.type === 'boolean') return z.boolean()
  if ('multiple' in flag && flag.multiple) return z.union([z.array(scalar), scalar])
  return scalar
}

export const ConfigFile = z.strictObject(
  Object.fromEntries(CONFIG_KEYS.map((key) => [key, shapeOf(configFlag(key)).optional()])) as Record<ConfigKey, z.ZodOptional<z.ZodType>>,
)
/** The file as written: JSON values, not yet read by their flags. */
export type ConfigFile = Partial<Record<ConfigKey, unknown>>

/** DISTW_WORK_DIR for work-dir. */
export function envName(key: ConfigKey): string {
  return `DISTW_${key.toUpperCase().replace(/-/g, '_')}`
}
