// Reads the config file and the DISTW_* environment, and merges them under the flags the user typed.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { UserError } from '../errors.js'
import { CONFIG_KEYS, ConfigFile, envName, type ConfigKey } from './schema.js'

export type Source = 'flag' | 'env' | 'file' | 'default'

export interface Setting {
  value: unknown
  source: Source
  /** The environment variable or file the value came from. */
  from?: string
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

// The DISTW_* variables that are set, converted and checked like the file.
export function readConfigEnv(env: NodeJS.ProcessEnv): ConfigFile {
  const raw: Record<string, unknown> = {}
  for (const key of CONFIG_KEYS) {
    const text = env[envName(key)]
    if (text === undefined || text === '') continue
    const shape = ConfigFile.shape[key].unwrap()
    // A list (pass-env) is comma-separated: DISTW_PASS_ENV='CUDA_*,LICENSE_SERVER'.
    raw[key] =
      shape.type === 'number'
        ? Number(text)
        : shape.type === 'boolean'
          ? /^(1|true|yes|on)$/i.test(text)
          : shape.type === 'array'
            ? text.split(',')
            : text
  }
  const parsed = ConfigFile.safeParse(raw)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    const key = String(issue?.path[0] ?? '') as ConfigKey
    throw new UserError(`${envName(key)}=${env[envName(key)]}: ${issue?.message ?? 'invalid'}`)
  }
  return parsed.data
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
export function resolveSettings(input: ResolveInput): Map<ConfigKey, Setting> {
  const file = input.configPath ?? defaultConfigPath(input.env)
  const fromFile = readConfigFile(file, input.configPath !== undefined)
  const fromEnv = readConfigEnv(input.env)
  const settings = new Map<ConfigKey, Setting>()
  for (const key of CONFIG_KEYS) {
    const flag = input.flags[key]
    if (flag !== undefined && !input.fromDefault.has(key)) settings.set(key, { value: flag, source: 'flag' })
    else if (fromEnv[key] !== undefined) settings.set(key, { value: fromEnv[key], source: 'env', from: envName(key) })
    else if (fromFile[key] !== undefined) settings.set(key, { value: fromFile[key], source: 'file', from: file })
    else settings.set(key, { value: flag, source: 'default' })
  }
  return settings
}

// The flags with env and file values filled in where the user typed none (the daemon command's view).
export function applyConfig<T extends Record<string, unknown>>(flags: T, input: Omit<ResolveInput, 'flags'>): T {
  const out: Record<string, unknown> = { ...flags }
  for (const [key, setting] of resolveSettings({ ...input, flags })) if (setting.value !== undefined) out[key] = setting.value
  return out as T
}

// The names of the flags oclif filled from their defaults (so env and file values may replace them).
export function flagsFromDefault(metadata: { flags: Record<string, { setFromDefault?: boolean } | undefined> }): Set<string> {
  return new Set(Object.entries(metadata.flags).flatMap(([name, flag]) => (flag?.setFromDefault ? [name] : [])))
}
