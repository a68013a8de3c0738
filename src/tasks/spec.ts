// What a task is once its line has been read: the TaskSpec type, and the zod schema of a JSON task line.
import { z } from 'zod'

/** What a node must offer to run a task. Every field is optional: absent means "any". */
export interface Requirements {
  os?: string
  arch?: string
  /** Variables the node must have: `NAME` (set) or `NAME=value` (set to exactly that). */
  env?: string[]
  /** Executables the node must have on its PATH. */
  tools?: string[]
  tags?: string[]
  /** Bytes. */
  memory?: number
  cpus?: number
  /** Run only on these nodes. */
  nodes?: string[]
  /** Never run on these nodes. */
  avoid?: string[]
}

export interface TaskSpec {
  /** 1-based line number in the source. */
  line: number
  /** Unique in the batch; `task-<line>` for shell lines and JSON lines without a name. */
  name: string
  command: { shell: string } | { argv: string[] }
  /** Paths and globs as written, relative to the submit folder. */
  inputs: readonly string[]
  /** Globs relative to the working folder; [] means every file created or changed. */
  outputs: readonly string[]
  env: Readonly<Record<string, string>>
  requires: Readonly<Requirements>
  timeoutMs?: number
  retries: number
  /** Names of tasks that must succeed first. */
  after: readonly string[]
  /** Higher runs first. */
  priority: number
  slots: number
  /** At most one task holding the same lock runs per node at once. */
  lock?: string
  /** Its inputs are the files its command names (a shell line, or a JSON line without "inputs"). */
  autoInputs?: boolean
}

/** Batch-wide values for the fields a line leaves out (`--timeout`, `--retries`). */
export interface TaskDefaults {
  timeoutMs?: number
  retries?: number
}

// Shared by every task that has none, so a 100,000-line file does not allocate half a million empty
// lists and objects (which the garbage collector then copies twice). Frozen: nothing may add to them.
export const NO_STRINGS: readonly string[] = Object.freeze([])
export const NO_ENV: Readonly<Record<string, string>> = Object.freeze({})
export const NO_REQUIREMENTS: Readonly<Requirements> = Object.freeze({})

export const MAX_RETRIES = 100
export const MAX_SLOTS = 1024
export const PRIORITY_LIMIT = 1_000_000_000

// The schema checks shape only (types, integer ranges, known keys). What a value means — a name that
// can be a folder, a duration, a size, a path inside the folder — is checked in line-checks.ts: zod
// refinements and transforms cost ~2 µs a line, which would halve the parse rate of JSON task files.
const strings = z.array(z.string())
const stringOrList = z.union([z.string(), strings])
const stringOrNumber = z.union([z.string(), z.number()])

export const RequirementsSchema = z
  .strictObject({
    os: z.string(),
    arch: z.string(),
    env: strings,
    tools: strings,
    tags: strings,
    memory: stringOrNumber,
    cpus: z.int().min(1),
    nodes: strings,
    avoid: strings,
  })
  .partial()

/** The shape of a JSON task line. */
export const TaskLineSchema = z
  .strictObject({
    name: z.string(),
    run: z.string(),
    argv: strings.min(1),
    inputs: stringOrList,
    outputs: stringOrList,
    env: z.record(z.string(), z.string()),
    requires: RequirementsSchema,
    timeout: stringOrNumber,
    retries: z.int().min(0).max(MAX_RETRIES),
    after: stringOrList,
    priority: z.int().min(-PRIORITY_LIMIT).max(PRIORITY_LIMIT),
    slots: z.int().min(1).max(MAX_SLOTS),
    lock: z.string(),
  })
  .partial()

export type TaskLine = z.output<typeof TaskLineSchema>

export const TASK_FIELDS: readonly string[] = Object.keys(TaskLineSchema.shape)
export const REQUIRES_FIELDS: readonly string[] = Object.keys(RequirementsSchema.shape)

/** What each field must be, for messages: keyed by path with list indices as [] and env names as *. */
export const EXPECTED: Readonly<Record<string, string>> = {
  '': 'a JSON object',
  name: 'a string',
  run: 'a shell command (a string)',
  argv: 'a non-empty list of strings, e.g. ["./render", "--frame", "7"]',
  'argv[]': 'a string',
  inputs: 'a path or a list of paths',
  'inputs[]': 'a string',
  outputs: 'a glob or a list of globs',
  'outputs[]': 'a string',
  env: 'an object of NAME: "value"',
  'env.*': 'a string (quote numbers and booleans: "8", "true")',
  requires: `an object with some of: ${REQUIRES_FIELDS.join(', ')}`,
  'requires.os': 'a string such as "linux", "darwin" or "win32"',
  'requires.arch': 'a string such as "x64" or "arm64"',
  'requires.env': 'a list of NAME or NAME=value strings',
  'requires.env[]': 'a string',
  'requires.memory': 'a size such as "512M" or "4G" (a bare number is bytes)',
  'requires.cpus': 'an integer ≥ 1',
  timeout: 'a duration such as "90s", "20m" or "1h30m" (a bare number is seconds)',
  retries: `an integer from 0 to ${MAX_RETRIES}`,
  after: 'a task name or a list of task names',
  'after[]': 'a string',
  priority: `an integer from -${PRIORITY_LIMIT} to ${PRIORITY_LIMIT} (higher runs first)`,
  slots: `an integer from 1 to ${MAX_SLOTS}`,
  lock: 'a string',
  ...Object.fromEntries(
    ['tools', 'tags', 'nodes', 'avoid'].flatMap((f) => [
      [`requires.${f}`, 'a list of strings'],
      [`requires.${f}[]`, 'a string'],
    ]),
  ),
}
