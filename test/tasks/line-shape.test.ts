// matchesTaskLine lets a line skip zod, so it must never say yes where TaskLineSchema says no. These tests
// compare the two on every field and on thousands of generated lines, parsed from JSON text as a task
// file's lines are (so 1e400 is Infinity and "__proto__" is an own key).
import { describe, expect, it } from 'vitest'
import { matchesTaskLine } from '../../src/tasks/line-shape.js'
import { MAX_RETRIES, MAX_SLOTS, PRIORITY_LIMIT, REQUIRES_FIELDS, TASK_FIELDS, TaskLineSchema } from '../../src/tasks/spec.js'

const strings = ['""', '"x"', '"./render --frame 7"']
const lists = ['[]', '["a"]', '["a","b"]', '[1]', '["a",null]', '[[]]']
const ints = ['0', '1', '-1', '2', '1.5', '1e400', '-1e400', '9007199254740993', `${MAX_RETRIES}`, `${MAX_RETRIES + 1}`]
const limits = [`${MAX_SLOTS}`, `${MAX_SLOTS + 1}`, `${PRIORITY_LIMIT}`, `${PRIORITY_LIMIT + 1}`, `${-PRIORITY_LIMIT - 1}`]
const others = ['null', 'true', '{}', '{"A":"1"}', '{"A":1}', '{"__proto__":"x"}', '{"A":"1","B":[]}']
const values = [...strings, ...lists, ...ints, ...limits, ...others]

const requiresValues = [
  ...others,
  '{"os":"linux"}',
  '{"os":1}',
  '{"tags":["gpu"],"cpus":4}',
  '{"cpus":0}',
  '{"cpus":2.5}',
  '{"memory":"4G"}',
  '{"memory":1e400}',
  '{"memory":[]}',
  '{"tools":"ffmpeg"}',
  '{"env":["HOME"],"nodes":["a"],"avoid":[],"arch":"x64"}',
  '{"gpu":true}',
  '{"__proto__":{}}',
]

// A small deterministic generator, so a failure reproduces.
function random(seed: number): () => number {
  let s = seed
  return () => {
    s = (s + 0x6d2b79f5) | 0
    let t = Math.imul(s ^ (s >>> 15), 1 | s)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const pick = <T>(next: () => number, items: readonly T[]): T => items[Math.floor(next() * items.length)] as T

function agree(text: string): void {
  const obj = JSON.parse(text) as Record<string, unknown>
  const zodSays = TaskLineSchema.safeParse(obj).success
  // A yes from the guard where zod says no would let a bad line through; the reverse is only slower.
  expect({ text, guard: matchesTaskLine(obj), zod: zodSays }).toEqual({ text, guard: zodSays, zod: zodSays })
}

describe('matchesTaskLine against TaskLineSchema', () => {
  it('agrees on every value of every field, alone', () => {
    for (const field of TASK_FIELDS) {
      for (const value of field === 'requires' ? requiresValues : values) agree(`{"${field}":${value}}`)
    }
  })

  it('knows every field of requires', () => {
    const samples: Record<string, string[]> = {
      os: ['"linux"', '1'],
      arch: ['"x64"', '[]'],
      memory: ['"512M"', '4096', '1e400', 'null'],
      cpus: ['1', '0', '3.5', '"2"'],
    }
    for (const field of REQUIRES_FIELDS) {
      for (const value of samples[field] ?? lists) agree(`{"requires":{"${field}":${value}}}`)
    }
  })

  it('says no to an unknown field, at the top and in requires', () => {
    agree('{"run":"true","tag":["gpu"]}')
    agree('{"run":"true","requires":{"gpus":1}}')
    agree('{"run":"true","__proto__":{}}')
    // Names of Object.prototype's own members are unknown fields too, not lookups into it.
    agree('{"run":"true","constructor":"x"}')
    agree('{"run":"true","requires":{"toString":"x"}}')
  })

  it('agrees on 5,000 generated lines of several fields', () => {
    const next = random(20261201)
    const fields = [...TASK_FIELDS, 'unknown']
    let accepted = 0
    for (let i = 0; i < 5000; i++) {
      const entries: string[] = []
      const used = new Set<string>()
      const count = 1 + Math.floor(next() * 5)
      for (let k = 0; k < count; k++) {
        const field = pick(next, fields)
        if (used.has(field)) continue
        used.add(field)
        entries.push(`"${field}":${pick(next, field === 'requires' ? requiresValues : values)}`)
      }
      const text = `{${entries.join(',')}}`
      agree(text)
      if (matchesTaskLine(JSON.parse(text) as Record<string, unknown>)) accepted++
    }
    // The comparison means something only if both answers occur often.
    expect(accepted).toBeGreaterThan(100)
    expect(accepted).toBeLessThan(4900)
  })

  it('says yes to the lines a task file is made of', () => {
    for (const text of [
      '{"run":"./render --frame 7","env":{"FRAME":"7"},"timeout":"20m","retries":2,"requires":{"os":"linux","tags":["gpu"]},"priority":3}',
      '{"name":"a","argv":["gzip","-9","big.log"],"inputs":"big.log","outputs":["*.gz"],"after":["b"],"slots":2,"lock":"disk"}',
    ]) {
      expect(matchesTaskLine(JSON.parse(text) as Record<string, unknown>)).toBe(true)
      agree(text)
    }
  })
})
