// Reads the config file and the DISTW_* environment, and merges them under the flags the user typed.
// A value from either is read by the daemon's own flag (the same parse, bounds and message as on the
// command line), so the three sources cannot disagree on what is valid.
import { Parser, type Interfaces } from '@oclif/core'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { UserError } from '../errors.js'
import { flagError } from '../flags/values.js'
import { CONFIG_KEYS, ConfigFile, configFlag, envName, type ConfigKey } from './schema.js'

export type Source = 'flag' | 'env' | 'file' | 'default'

export interface Setting {
  /** As the daemon uses it (a size in bytes, a duration in ms). */
  value: unknown
  source: Source
  /** The environment variable or file the value came from. */
  from?: string
  /** The value as written there. */
  written?: unknown
}

// ~/.config/distw/config.json (XDG_CONFIG_HOME when set).
export function defaultConfigPath(env: NodeJS.ProcessEnv = process.env, home = os.homedir()): string {
  const base = env.XDG_CONFIG_HOME && path.isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : path.join(home, '.config')
  return path.join(base, 'distw', 'config.json')
}

// The file's settings; a missing default file is empty, a missing --config file or a bad one an error.
export function readConfigFile(file: string, required: boolean): ConfigFile {
  let text: string
  try {
    text = fs.readFileSync(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' && !required) return {}
    throw new UserError(`cannot read the config file ${file}: ${(error as Error).message}`, 'fix the path given to --config')
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    throw new UserError(`the config file ${file} is not valid JSON: ${(error as Error).message}`)
  }
  const parsed = ConfigFile.safeParse(json)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    const field = issue?.path.length ? issue.path.join('.') : (issue as { keys?: string[] } | undefined)?.keys?.join(', ')
    throw new UserError(
      `the config file ${file}: ${field ? `field "${field}": ` : ''}${issue?.message ?? 'invalid'}`,
      `known fields: ${CONFIG_KEYS.join(', ')}`,
    )
  }
  return parsed.data
}

// The DISTW_* variables that are set, as text (a repeatable flag's values comma-separated).
export function readConfigEnv(env: NodeJS.ProcessEnv): ConfigFile {
  const raw: ConfigFile = {}
  for (const key of CONFIG_KEYS) {
    const text = env[envName(key)]
    if (text === undefined || text === '') continue
    const flag = configFlag(key)
    if (flag.type === 'boolean') raw[key] = /^(1|true|yes|on)$/i.test(text)
    else raw[key] = 'multiple' in flag && flag.multiple ? text.split(',').map((item) => item.trim()) : text
  }
  return raw
}

// A value from the environment or the file, read by its flag; a bad one names where it was written.
async function readWithFlag(key: ConfigKey, written: unknown, where: string): Promise<unknown> {
  const flag = configFlag(key)
  if (typeof written === 'boolean') return written
  const argv = (Array.isArray(written) ? written : [written]).flatMap((item) => [`--${key}`, String(item)])
  try {
    const { flags } = await Parser.parse(argv, { flags: { [key]: flag } as Interfaces.FlagInput, strict: true })
    return flags[key]
  } catch (error) {
    const { message, hint } = flagError(error as Error & { hint?: string })
    throw new UserError(`${where}: ${message.replace(`--${key}: `, '')}`, hint)
  }
}

export interface ResolveInput {
  /** Flag values as oclif parsed them (defaults included). */
  flags: Record<string, unknown>
  /** Flags whose value came from their default, not from the command line. */
  fromDefault: ReadonlySet<string>
  env: NodeJS.ProcessEnv
  /** --config, or undefined for the default path. */
  configPath: string | undefined
}

// Every config key's effective value and where it came from.
export async function resolveSettings(input: ResolveInput): Promise<Map<ConfigKey, Setting>> {
  const file = input.configPath ?? defaultConfigPath(input.env)
  const fromFile = readConfigFile(file, input.configPath !== undefined)
  const fromEnv = readConfigEnv(input.env)
  const settings = new Map<ConfigKey, Setting>()
  for (const key of CONFIG_KEYS) {
    const flag = input.flags[key]
    if (flag !== undefined && !input.fromDefault.has(key)) {
      settings.set(key, { value: flag, source: 'flag' })
    } else if (fromEnv[key] !== undefined) {
      const from = envName(key)
      const value = await readWithFlag(key, fromEnv[key], `${from}=${input.env[from]}`)
      settings.set(key, { value, source: 'env', from, written: input.env[from] })
    } else if (fromFile[key] !== undefined) {
      const value = await readWithFlag(key, fromFile[key], `the config file ${file}: field "${key}"`)
      settings.set(key, { value, source: 'file', from: file, written: fromFile[key] })
    } else {
      settings.set(key, { value: flag, source: 'default' })
    }
  }
  return settings
}

// The flags with env and file values filled in where the user typed none (the daemon command's view).
export async function applyConfig<T extends Record<string, unknown>>(flags: T, input: Omit<ResolveInput, 'flags'>): Promise<T> {
  const out: Record<string, unknown> = { ...flags }
  for (const [key, setting] of await resolveSettings({ ...input, flags })) if (setting.value !== undefined) out[key] = setting.value
  return out as T
}

// The names of the flags oclif filled from their defaults (so env and file values may replace them).
export function flagsFromDefault(metadata: { flags: Record<string, { setFromDefault?: boolean } | undefined> }): Set<string> {
  return new Set(Object.entries(metadata.flags).flatMap(([name, flag]) => (flag?.setFromDefault ? [name] : [])))
}
