// One JSON task line → a TaskSpec, or every problem with it as readable text (never zod's raw issues).
import type { z } from 'zod'
import { closest } from '../closest.js'
import { defaultTaskName } from './names.js'
import { checkLineValues } from './line-checks.js'
import { matchesTaskLine } from './line-shape.js'
import {
  EXPECTED,
  NO_ENV,
  NO_REQUIREMENTS,
  NO_STRINGS,
  REQUIRES_FIELDS,
  TASK_FIELDS,
  TaskLineSchema,
  type Requirements,
  type TaskDefaults,
  type TaskLine,
  type TaskSpec,
} from './spec.js'

export type JsonLineResult =
  | { ok: true; task: TaskSpec }
  /** `name` is the line's name when it could be read, so that `after` references to it are not also reported. */
  | { ok: false; problems: string[]; name: string }

/** `text` is the trimmed line; `indent` is how many characters were trimmed from its start. */
export function parseJsonLine(text: string, line: number, indent = 0, defaults: TaskDefaults = {}): JsonLineResult {
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch (err) {
    // V8 says "at position N" (0-based, in what it was given); a column in the line is easier to find.
    // Newer V8 appends "(line 1 column N)", which would then disagree with our column; drop it.
    const message = (err as Error).message.replace(
      / at position (\d+)(?: \(line \d+ column \d+\))?/,
      (_, p: string) => ` at column ${Number(p) + indent + 1}`,
    )
    return { ok: false, problems: [`invalid JSON: ${message}`], name: defaultTaskName(line) }
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { ok: false, problems: ['expected a JSON object'], name: defaultTaskName(line) }
  }
  const obj = raw as Record<string, unknown>
  const problems: string[] = []
  const hasRun = obj['run'] !== undefined
  const hasArgv = obj['argv'] !== undefined
  if (hasRun && hasArgv) problems.push('use either "run" (a shell command) or "argv" (a list of strings), not both')
  if (!hasRun && !hasArgv) problems.push('missing "run" (a shell command) or "argv" (a list of strings)')

  // The common line skips zod: its shape is checked by matchesTaskLine, and JSON.parse's object is used as
  // it is (TaskLineSchema has no transforms, so zod's output would be an equal copy).
  let t: TaskLine | undefined
  const common = matchesTaskLine(obj)
  if (common) t = obj as TaskLine
  else {
    const parsed = TaskLineSchema.safeParse(obj)
    if (parsed.success) t = parsed.data
    else {
      for (const issue of parsed.error.issues) {
        for (const message of describeIssue(issue, obj)) if (!problems.includes(message)) problems.push(message)
      }
    }
  }
  const converted = checkLineValues(obj, (path, message) => problems.push(`${fieldLabel(path)}: ${message}`))
  const name = typeof obj['name'] === 'string' ? obj['name'] : defaultTaskName(line)
  if (t === undefined || problems.length > 0) return { ok: false, problems, name }

  const task: TaskSpec = {
    line,
    name,
    command: t.argv !== undefined ? { argv: t.argv } : { shell: (t.run ?? '').trim() },
    inputs: asList(t.inputs),
    outputs: asList(t.outputs),
    env: t.env ?? NO_ENV,
    // JSON.parse's own object where it is already a Requirements (no memory to convert, no undefined keys).
    requires: !t.requires
      ? NO_REQUIREMENTS
      : common && converted.memory === undefined
        ? (t.requires as Requirements)
        : requirements(t.requires, converted.memory),
    retries: t.retries ?? defaults.retries ?? 0,
    after: t.after === undefined ? NO_STRINGS : typeof t.after === 'string' ? [t.after] : [...new Set(t.after)],
    priority: t.priority ?? 0,
    slots: t.slots ?? 1,
  }
  const timeoutMs = converted.timeoutMs ?? defaults.timeoutMs
  if (timeoutMs !== undefined) task.timeoutMs = timeoutMs
  if (t.lock !== undefined) task.lock = t.lock
  // `"inputs": []` says "none": only a line without the field has them found in its command.
  if (t.inputs === undefined) task.autoInputs = true
  return { ok: true, task }
}

const asList = (v: string | string[] | undefined): readonly string[] => (v === undefined ? NO_STRINGS : typeof v === 'string' ? [v] : v)

// zod's output has `key?: T | undefined`; a Requirements has only the keys that were given.
function requirements(r: NonNullable<TaskLine['requires']>, memory: number | undefined): Requirements {
  const out: Requirements = {}
  if (r.os !== undefined) out.os = r.os
  if (r.arch !== undefined) out.arch = r.arch
  if (r.env !== undefined) out.env = r.env
  if (r.tools !== undefined) out.tools = r.tools
  if (r.tags !== undefined) out.tags = r.tags
  if (memory !== undefined) out.memory = memory
  if (r.cpus !== undefined) out.cpus = r.cpus
  if (r.nodes !== undefined) out.nodes = r.nodes
  if (r.avoid !== undefined) out.avoid = r.avoid
  return out
}

// ["requires", "tools", 2] → field "requires.tools[2]"
function fieldLabel(path: readonly (string | number)[]): string {
  if (path.length === 0) return 'the line'
  return `field "${path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('')}"`
}

function describeIssue(issue: z.core.$ZodIssue, obj: Record<string, unknown>): string[] {
  const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol')
  if (issue.code === 'unrecognized_keys') {
    const inRequires = path[0] === 'requires'
    const known = inRequires ? REQUIRES_FIELDS : TASK_FIELDS
    return issue.keys.map((key) => {
      const label = inRequires ? `requires.${key}` : key
      // A requirement written at the top level ("tags") belongs under "requires".
      const guess = !inRequires && REQUIRES_FIELDS.includes(key) ? `requires.${key}` : closest(key, known)
      return (
        `unknown field "${label}"${guess ? ` (did you mean "${inRequires ? 'requires.' : ''}${guess}"?)` : ''}; ` +
        `known fields${inRequires ? ' of "requires"' : ''}: ${known.join(', ')}`
      )
    })
  }
  return [`${fieldLabel(path)}: expected ${EXPECTED[expectationKey(path)] ?? 'something else'}, got ${describeValue(valueAt(obj, path))}`]
}

function expectationKey(path: (string | number)[]): string {
  if (path[0] === 'env' && path.length === 2) return 'env.*'
  return path.map((p, i) => (typeof p === 'number' ? '[]' : i === 0 ? p : `.${p}`)).join('')
}

function valueAt(obj: unknown, path: (string | number)[]): unknown {
  let v = obj
  for (const p of path) {
    if (typeof v !== 'object' || v === null) return undefined
    v = (v as Record<string | number, unknown>)[p]
  }
  return v
}

function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing'
  if (Array.isArray(v)) return v.length === 0 ? 'an empty list' : 'a list'
  if (typeof v === 'object' && v !== null) return 'an object'
  const s = JSON.stringify(v)
  return s.length > 40 ? `${s.slice(0, 39)}…` : s
}
