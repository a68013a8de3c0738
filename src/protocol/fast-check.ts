// Hand-written checks of the messages every task sends (run, exit, started, output, cancel), and of the
// submitter's `queue` report (a few a second, each checked by zod cost ~0.3% of a busy daemon), tried before
// zod: a message one of them accepts is one its zod schema accepts too (test/protocol/fast-check.test.ts
// holds them side by side on mutated frames), and anything it does not accept goes to zod, which says
// what is wrong. Why: zod's generic code runs megamorphic in a process that checks many shapes, and was
// ~7% of the daemon's and of the submitter's CPU on trivial tasks (perf, 3,000 × `true`); these are
// plain loads and compares. They only ever accept less than zod: an odd but valid frame costs zod's time.
import { globListProblem, globProblem } from './glob.js'
import {
  MAX_ARGV,
  MAX_ENV_VARS,
  MAX_FILES_PER_TASK,
  MAX_OUTPUT_GLOBS,
  MAX_PATH_CHARS,
  MAX_STRING_CHARS,
  QUEUE_LISTED_AFTER,
  QUEUE_LISTED_TASKS,
  QUEUE_NAME_CHARS,
} from './limits.js'
import { ENV_NAME } from './messages.js'

type Fields = Record<string, unknown>

const DIGEST = /^[0-9a-f]{64}$/

// A map as msgpackr makes it; zod takes more (class instances), never needed here.
function isMap(value: unknown): value is Fields {
  if (typeof value !== 'object' || value === null) return false
  const proto: unknown = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

/** Every own key of `m` is one of `keys` (zod's strict objects). */
function onlyKeys(m: Fields, keys: ReadonlySet<string>): boolean {
  for (const key in m) if (!keys.has(key)) return false
  return true
}

const str = (value: unknown, min: number, max: number): value is string =>
  typeof value === 'string' && value.length >= min && value.length <= max
const text = (value: unknown): value is string => str(value, 0, MAX_STRING_CHARS)
const count = (value: unknown): boolean => Number.isSafeInteger(value) && (value as number) >= 0
const int = (value: unknown): boolean => Number.isSafeInteger(value)
const bool = (value: unknown): boolean => value === true || value === false
const taskId = (value: unknown): boolean => str(value, 1, 128)
const name = (value: unknown): boolean => str(value, 1, 256)
const wirePath = (value: unknown): boolean => str(value, 1, MAX_PATH_CHARS)
const digest = (value: unknown): boolean => typeof value === 'string' && value.length === 64 && DIGEST.test(value)
const optional = (value: unknown, check: (v: unknown) => boolean): boolean => value === undefined || check(value)

function list(value: unknown, max: number, item: (v: unknown) => boolean): boolean {
  if (!Array.isArray(value) || value.length > max) return false
  for (const v of value) if (!item(v)) return false
  return true
}

const COMMAND_SHELL = new Set(['shell'])
const COMMAND_ARGV = new Set(['argv'])
function command(value: unknown): boolean {
  if (!isMap(value)) return false
  if ('shell' in value) return onlyKeys(value, COMMAND_SHELL) && str(value.shell, 1, MAX_STRING_CHARS)
  return onlyKeys(value, COMMAND_ARGV) && Array.isArray(value.argv) && value.argv.length >= 1 && list(value.argv, MAX_ARGV, text)
}

function env(value: unknown): boolean {
  if (!isMap(value)) return false
  let n = 0
  for (const key in value) {
    const v = value[key]
    if (++n > MAX_ENV_VARS || key.length > 1024 || !ENV_NAME.test(key) || !text(v) || v.includes('\0')) return false
  }
  return true
}

const INPUT_FILE = new Set(['path', 'digest', 'mode'])
const inputFile = (value: unknown): boolean =>
  isMap(value) &&
  onlyKeys(value, INPUT_FILE) &&
  wirePath(value.path) &&
  digest(value.digest) &&
  int(value.mode) &&
  (value.mode as number) >= 0 &&
  (value.mode as number) <= 0o7777

const outputs = (value: unknown): boolean =>
  list(value, MAX_OUTPUT_GLOBS, (g) => wirePath(g) && globProblem(g as string) === undefined) &&
  globListProblem(value as string[]) === undefined

const RUN = new Set(['v', 'type', 'lease', 'task', 'name', 'command', 'env', 'files', 'outputs', 'timeoutMs', 'keep', 'queue'])
function run(m: Fields): boolean {
  return (
    onlyKeys(m, RUN) &&
    name(m.lease) &&
    taskId(m.task) &&
    name(m.name) &&
    command(m.command) &&
    env(m.env) &&
    list(m.files, MAX_FILES_PER_TASK, inputFile) &&
    outputs(m.outputs) &&
    optional(m.timeoutMs, count) &&
    optional(m.keep, bool) &&
    optional(m.queue, bool)
  )
}

const SKIPPED = new Set(['path', 'reason'])
const skipped = (value: unknown): boolean => isMap(value) && onlyKeys(value, SKIPPED) && wirePath(value.path) && text(value.reason)

const EXIT = new Set([
  'v',
  'type',
  'task',
  'exitCode',
  'signal',
  'durationMs',
  'timedOut',
  'timeoutMs',
  'deleted',
  'skipped',
  'error',
  'kept',
  'started',
  'evicted',
  'missing',
])
function exit(m: Fields): boolean {
  return (
    onlyKeys(m, EXIT) &&
    taskId(m.task) &&
    (m.exitCode === null || int(m.exitCode)) &&
    (m.signal === null || str(m.signal, 0, 32)) &&
    count(m.durationMs) &&
    bool(m.timedOut) &&
    optional(m.timeoutMs, count) &&
    list(m.deleted, MAX_FILES_PER_TASK, wirePath) &&
    list(m.skipped, MAX_FILES_PER_TASK, skipped) &&
    optional(m.error, text) &&
    optional(m.kept, bool) &&
    optional(m.started, (v) => v === true) &&
    optional(m.evicted, bool) &&
    optional(m.missing, (v) => list(v, MAX_FILES_PER_TASK, digest))
  )
}

const TASK_ONLY = new Set(['v', 'type', 'task'])
const OUTPUT = new Set(['v', 'type', 'task', 'stream', 'data'])
const output = (m: Fields): boolean =>
  onlyKeys(m, OUTPUT) && taskId(m.task) && (m.stream === 'stdout' || m.stream === 'stderr') && Buffer.isBuffer(m.data)
const taskOnly = (m: Fields): boolean => onlyKeys(m, TASK_ONLY) && taskId(m.task)

const queueName = (value: unknown): boolean => str(value, 1, QUEUE_NAME_CHARS)
const WAITING = new Set(['name', 'after', 'more'])
const waitingTask = (value: unknown): boolean =>
  isMap(value) && onlyKeys(value, WAITING) && queueName(value.name) && list(value.after, QUEUE_LISTED_AFTER, queueName) && count(value.more)
const QUEUE = new Set(['v', 'type', 'batch', 'waiting', 'ready', 'tasks'])
const queue = (m: Fields): boolean =>
  onlyKeys(m, QUEUE) && name(m.batch) && count(m.waiting) && count(m.ready) && list(m.tasks, QUEUE_LISTED_TASKS, waitingTask)

/** By message type: true when the message (its `v` and `type` already checked) surely fits its schema. */
export const FAST_CHECKS: ReadonlyMap<string, (message: Fields) => boolean> = new Map([
  ['run', run],
  ['exit', exit],
  ['started', taskOnly],
  ['cancel', taskOnly],
  ['output', output],
  ['queue', queue],
])

/** True when `value` (a decoded map whose `v` and `type` were checked) surely fits its type's schema. */
export function fastCheck(type: string, value: unknown): boolean {
  const check = FAST_CHECKS.get(type)
  return check !== undefined && isMap(value) && check(value)
}
