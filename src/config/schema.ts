// The config file (~/.config/distw/config.json): the daemon's flags by their flag names, with the same
// bounds. Precedence: flags > environment (DISTW_<NAME>, e.g. DISTW_WORK_DIR) > file > defaults.
import { z } from 'zod'

export const ConfigFile = z.strictObject({
  port: z.int().min(0).max(65535).optional(),
  bind: z.string().min(1).optional(),
  slots: z.int().min(1).max(4096).optional(),
  'work-dir': z.string().min(1).optional(),
  name: z.string().min(1).max(200).optional(),
  hours: z.string().optional(),
  'max-load': z.number().positive().optional(),
  'daily-budget': z.string().optional(),
  evict: z.boolean().optional(),
  'log-file': z.string().min(1).optional(),
  'log-json': z.boolean().optional(),
  verbose: z.boolean().optional(),
  'pass-env': z.array(z.string().min(1).max(256)).max(256).optional(),
})
export type ConfigFile = z.infer<typeof ConfigFile>
export type ConfigKey = keyof ConfigFile

export const CONFIG_KEYS = Object.keys(ConfigFile.shape) as ConfigKey[]

/** DISTW_WORK_DIR for work-dir. */
export function envName(key: ConfigKey): string {
  return `DISTW_${key.toUpperCase().replace(/-/g, '_')}`
}
