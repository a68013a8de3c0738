// What the values of a JSON task line mean, beyond their shape (which spec.ts's schema checks): names
// that can be folder names, paths that stay inside the folder, durations, sizes, variable names.
// Each check looks only at values of the right type, so it can run even when zod rejected other fields,
// and every problem of a line is reported at once.
import { globListProblem, MAX_OUTPUT_GLOBS } from '../protocol/index.js'
import { MAX_TIMER_MS, parseDuration } from './duration.js'
import { ENV_NAME, taskNameProblem } from './names.js'
import { patternProblem } from './patterns.js'
import { parseSize } from './size.js'
import type { TaskSpec } from './spec.js'
import { TaskFileError, type TaskProblem } from './task-file-error.js'

export type Report = (path: readonly (string | number)[], message: string) => void

/** Values converted while checking, so they are parsed once. */
export interface Converted {
  timeoutMs?: number
  memory?: number
}

const DAY_MS = 86_400_000

export function checkLineValues(line: Record<string, unknown>, report: Report): Converted {
  const converted: Converted = {}
  const name = line['name']
  if (typeof name === 'string') {
    const problem = taskNameProblem(name)
    if (problem) report(['name'], problem)
  }
  const run = line['run']
  if (typeof run === 'string') {
    if (run.trim() === '') report(['run'], 'must not be empty')
    else if (run.includes('\0')) report(['run'], 'contains a NUL character')
  }
  const argv = line['argv']
  if (Array.isArray(argv)) {
    if (argv[0] === '') report(['argv', 0], 'the program (first item) must not be empty')
    for (let i = 0; i < argv.length; i++) {
      const a: unknown = argv[i]
      if (typeof a === 'string' && a.includes('\0')) report(['argv', i], 'contains a NUL character')
    }
  }
  checkPatterns('inputs', line['inputs'], report)
  checkPatterns('outputs', line['outputs'], report)
  const env = line['env']
  if (isPlainObject(env)) {
    for (const key in env) {
      const value = env[key]
      if (key === '__proto__') {
        // JSON.parse keeps it as a key, but copying it into an object sets the prototype instead.
        report(['env'], '"__proto__" cannot be used as a variable name')
      } else if (!ENV_NAME.test(key)) {
        report(['env'], `${JSON.stringify(key)} is not a valid variable name (letters, digits and _, not starting with a digit)`)
      } else if (typeof value === 'string' && value.includes('\0')) report(['env', key], 'contains a NUL character')
    }
  }
  const timeout = line['timeout']
  if (typeof timeout === 'string' || typeof timeout === 'number') {
    try {
      const ms = parseDuration(timeout)
      if (ms <= 0) report(['timeout'], 'must be longer than 0')
      else if (ms > MAX_TIMER_MS) report(['timeout'], `must be at most ${Math.floor(MAX_TIMER_MS / DAY_MS)} days`)
      else converted.timeoutMs = ms
    } catch (err) {
      report(['timeout'], (err as Error).message)
    }
  }
  const after = line['after']
  if (typeof after === 'string') checkText(['after'], after, report)
  else if (Array.isArray(after)) checkTexts('after', after, report)
  if (typeof line['lock'] === 'string') checkText(['lock'], line['lock'], report)

  const requires = line['requires']
  if (isPlainObject(requires)) {
    for (const key of ['os', 'arch'] as const) {
      const v = requires[key]
      if (typeof v === 'string') checkText(['requires', key], v, report)
    }
    for (const key of ['tools', 'tags', 'nodes', 'avoid'] as const) {
      const v = requires[key]
      if (Array.isArray(v)) checkTexts(['requires', key], v, report)
    }
    const env = requires['env']
    if (Array.isArray(env)) {
      for (let i = 0; i < env.length; i++) {
        const item: unknown = env[i]
        if (typeof item !== 'string') continue
        const eq = item.indexOf('=')
        if (!ENV_NAME.test(eq === -1 ? item : item.slice(0, eq))) {
          report(['requires', 'env', i], `${JSON.stringify(item)} is not NAME or NAME=value`)
        }
      }
    }
    const memory = requires['memory']
    if (typeof memory === 'string' || typeof memory === 'number') {
      try {
        const bytes = parseSize(memory)
        if (bytes > 0) converted.memory = bytes
        else report(['requires', 'memory'], 'must be more than 0 bytes')
      } catch (err) {
        report(['requires', 'memory'], (err as Error).message)
      }
    }
  }
  return converted
}

function checkPatterns(field: 'inputs' | 'outputs', value: unknown, report: Report): void {
  if (typeof value === 'string') checkPattern([field], value, report)
  else if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const p: unknown = value[i]
      if (typeof p === 'string') checkPattern([field, i], p, report)
    }
    // The node matches a task's files against all its outputs at once: their wildcards are bounded together.
    const problem = field === 'outputs' ? globListProblem(value.filter((p): p is string => typeof p === 'string')) : undefined
    if (problem !== undefined) report([field], `the globs ${problem}`)
    if (field === 'outputs' && value.length > MAX_OUTPUT_GLOBS) report([field], `more than ${MAX_OUTPUT_GLOBS} globs`)
  }
}

function checkPattern(path: (string | number)[], p: string, report: Report): void {
  const problem = patternProblem(p)
  if (problem) report(path, `${JSON.stringify(p)} ${problem}`)
}

function checkTexts(at: string | string[], items: unknown[], report: Report): void {
  for (let i = 0; i < items.length; i++) {
    const s = items[i]
    if (typeof s === 'string' && (s === '' || s.includes('\0'))) checkText([...(typeof at === 'string' ? [at] : at), i], s, report)
  }
}

function checkText(path: (string | number)[], s: string, report: Report): void {
  if (s === '') report(path, 'must not be empty')
  else if (s.includes('\0')) report(path, 'contains a NUL character')
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/**
 * The value checks of a task line, applied to tasks given as objects (the programmatic API), so they are
 * refused before anything starts exactly as the same task written as a line would be.
 */
export function checkTaskSpecs(tasks: readonly TaskSpec[], source: string): void {
  const problems: TaskProblem[] = []
  for (const task of tasks) {
    const { command, timeoutMs: _ms, requires, ...rest } = task
    const { memory: _m, cpus: _c, ...textRequires } = requires
    const line: Record<string, unknown> = { ...rest, ...command, requires: textRequires }
    checkLineValues(line, (at, message) => problems.push({ line: task.line, message: `field "${at.join('.')}": ${message}` }))
  }
  if (problems.length > 0) throw new TaskFileError(source, problems)
}
