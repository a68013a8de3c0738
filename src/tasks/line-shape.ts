// A fast "yes" for the common task line. zod's safeParse costs ~2–3 µs a line (it copies the object and
// builds its result), a third of the time of a 100,000-line file. This guard answers true only when the
// parsed JSON certainly matches TaskLineSchema, without allocating; every other line goes through zod,
// whose issues become the messages. test/tasks/line-shape.test.ts holds the two in agreement.
import { MAX_RETRIES, MAX_SLOTS, PRIORITY_LIMIT } from './spec.js'

/** True only when `line` (a JSON.parse result) passes TaskLineSchema; false means "ask zod". */
export function matchesTaskLine(line: Record<string, unknown>): boolean {
  for (const key in line) {
    const v = line[key]
    switch (key) {
      case 'name':
      case 'run':
      case 'lock':
        if (typeof v !== 'string') return false
        break
      case 'argv':
        if (!isStrings(v) || v.length === 0) return false
        break
      case 'inputs':
      case 'outputs':
      case 'after':
        if (typeof v !== 'string' && !isStrings(v)) return false
        break
      case 'env':
        if (!isStringRecord(v)) return false
        break
      case 'requires':
        if (!matchesRequirements(v)) return false
        break
      case 'timeout':
        if (typeof v !== 'string' && !isFiniteNumber(v)) return false
        break
      case 'retries':
        if (!isIntIn(v, 0, MAX_RETRIES)) return false
        break
      case 'priority':
        if (!isIntIn(v, -PRIORITY_LIMIT, PRIORITY_LIMIT)) return false
        break
      case 'slots':
        if (!isIntIn(v, 1, MAX_SLOTS)) return false
        break
      default:
        return false // an unknown key (zod names it and suggests the nearest)
    }
  }
  return true
}

function matchesRequirements(r: unknown): boolean {
  if (!isObject(r)) return false
  for (const key in r) {
    const v = r[key]
    switch (key) {
      case 'os':
      case 'arch':
        if (typeof v !== 'string') return false
        break
      case 'env':
      case 'tools':
      case 'tags':
      case 'nodes':
      case 'avoid':
        if (!isStrings(v)) return false
        break
      case 'memory':
        if (typeof v !== 'string' && !isFiniteNumber(v)) return false
        break
      case 'cpus':
        if (!isIntIn(v, 1, Number.MAX_SAFE_INTEGER)) return false
        break
      default:
        return false
    }
  }
  return true
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

// JSON.parse turns 1e400 into Infinity, which z.number() rejects.
const isFiniteNumber = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v)

// z.int() is a safe integer.
const isIntIn = (v: unknown, min: number, max: number): boolean => Number.isSafeInteger(v) && (v as number) >= min && (v as number) <= max

function isStrings(v: unknown): v is unknown[] {
  if (!Array.isArray(v)) return false
  for (const s of v) if (typeof s !== 'string') return false
  return true
}

function isStringRecord(v: unknown): boolean {
  if (!isObject(v)) return false
  for (const key in v) if (typeof v[key] !== 'string') return false
  return true
}
