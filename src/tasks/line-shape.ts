// A fast "yes" for the common task line. zod's safeParse costs ~2–3 µs a line (it copies the object and
// builds its result), a third of the time of a 100,000-line file. This guard answers true only when the
// parsed JSON certainly matches TaskLineSchema, without allocating; every other line goes through zod,
// whose issues become the messages. test/tasks/line-shape.test.ts holds the two in agreement.
import { MAX_RETRIES, MAX_SLOTS, PRIORITY_LIMIT } from './spec.js'

type Check = (v: unknown) => boolean

const isString: Check = (v) => typeof v === 'string'
// JSON.parse turns 1e400 into Infinity, which z.number() rejects.
const isStringOrNumber: Check = (v) => typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v))
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

function isStrings(v: unknown): v is unknown[] {
  if (!Array.isArray(v)) return false
  for (const s of v) if (typeof s !== 'string') return false
  return true
}

const isStringOrStrings: Check = (v) => typeof v === 'string' || isStrings(v)

function isStringRecord(v: unknown): boolean {
  if (!isObject(v)) return false
  for (const key in v) if (typeof v[key] !== 'string') return false
  return true
}

// z.int() is a safe integer.
const intIn =
  (min: number, max: number): Check =>
  (v) =>
    Number.isSafeInteger(v) && (v as number) >= min && (v as number) <= max

// The fields of each strict object, as RequirementsSchema and TaskLineSchema have them.
const REQUIREMENTS: Readonly<Record<string, Check>> = {
  os: isString,
  arch: isString,
  env: isStrings,
  tools: isStrings,
  tags: isStrings,
  memory: isStringOrNumber,
  cpus: intIn(1, Number.MAX_SAFE_INTEGER),
  nodes: isStrings,
  avoid: isStrings,
}

const TASK_LINE: Readonly<Record<string, Check>> = {
  name: isString,
  run: isString,
  argv: (v) => isStrings(v) && v.length > 0,
  inputs: isStringOrStrings,
  outputs: isStringOrStrings,
  env: isStringRecord,
  requires: (v) => matchesFields(v, REQUIREMENTS),
  timeout: isStringOrNumber,
  retries: intIn(0, MAX_RETRIES),
  after: isStringOrStrings,
  priority: intIn(-PRIORITY_LIMIT, PRIORITY_LIMIT),
  slots: intIn(1, MAX_SLOTS),
  lock: isString,
}

/** True only when `line` (a JSON.parse result) passes TaskLineSchema; false means "ask zod". */
export function matchesTaskLine(line: Record<string, unknown>): boolean {
  return matchesFields(line, TASK_LINE)
}

// An object with known keys only (an unknown one is for zod to name, with the nearest known one),
// each value passing its field's check. hasOwn: a key such as "constructor" is not a lookup into
// Object.prototype.
function matchesFields(v: unknown, fields: Readonly<Record<string, Check>>): boolean {
  if (!isObject(v)) return false
  for (const key in v) {
    const check = Object.hasOwn(fields, key) ? fields[key] : undefined
    if (check === undefined || !check(v[key])) return false
  }
  return true
}
