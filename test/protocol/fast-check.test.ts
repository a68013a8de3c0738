// The hand-written checks of the hot messages (src/protocol/fast-check.ts) never accept what the zod
// schema refuses: tried on valid messages and on thousands of seeded mutations of them.
import { describe, expect, it } from 'vitest'
import { FAST_CHECKS, fastCheck } from '../../src/protocol/fast-check.js'
import { decodeFrame, encodeFrame, Message, MAX_STRING_CHARS, PROTOCOL_VERSION, ProtocolError } from '../../src/protocol/index.js'

const D = 'a'.repeat(64)
const valid: Record<string, Record<string, unknown>[]> = {
  run: [
    { lease: 'l', task: '1-abc', name: 'true', command: { shell: 'true' }, env: {}, files: [], outputs: [], keep: true, queue: true },
    {
      lease: 'l'.repeat(256),
      task: 't'.repeat(128),
      name: 'n',
      command: { argv: ['./x', '', 'y'] },
      env: { A: '1', _b2: '' },
      files: [{ path: 'a/b', digest: D, mode: 0o755 }],
      outputs: ['*.txt', '!x/**', '{a,b}'],
      timeoutMs: 0,
    },
  ],
  exit: [
    { task: 't', exitCode: 0, signal: null, durationMs: 3, timedOut: false, deleted: [], skipped: [], kept: true, started: true },
    {
      task: 't',
      exitCode: null,
      signal: 'SIGTERM',
      durationMs: 0,
      timedOut: true,
      timeoutMs: 5,
      deleted: ['a', 'b/c'],
      skipped: [{ path: 'l', reason: 'symbolic links are not returned' }],
      error: 'boom',
      evicted: false,
      missing: [D],
    },
  ],
  started: [{ task: 't' }],
  cancel: [{ task: 't' }],
  output: [{ task: 't', stream: 'stderr', data: Buffer.from('x') }],
  queue: [
    { batch: 'b', waiting: 0, ready: 12, tasks: [] },
    {
      batch: 'b'.repeat(256),
      waiting: 3,
      ready: 0,
      tasks: [
        { name: 'n'.repeat(128), after: ['a', 'b'.repeat(128)], more: 0 },
        { name: 'x', after: [], more: 7 },
      ],
    },
  ],
}

// A seeded PRNG: the same mutations every run.
function rng(seed: number): () => number {
  return () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff
    return seed / 0x7fffffff
  }
}

const ODD: unknown[] = [
  undefined,
  null,
  '',
  'x',
  'x'.repeat(33),
  't'.repeat(129),
  'n'.repeat(257),
  'p'.repeat(4097),
  'a\0b',
  'A=B',
  '1A',
  'A'.repeat(64),
  D.toUpperCase(),
  -1,
  0,
  1.5,
  0o10000,
  2 ** 53,
  Number.NaN,
  true,
  false,
  [],
  [''],
  [D, 'x'],
  {},
  { shell: '' },
  { argv: [] },
  { shell: 'x', argv: ['x'] },
  { path: 'a', digest: D, mode: 1, extra: 1 },
  { path: 'a', reason: 'r' },
  Buffer.from('b'),
  '{'.repeat(70),
  '**/'.repeat(40),
]

function clone<T>(value: T): T {
  if (Buffer.isBuffer(value)) return Buffer.from(value) as T
  if (Array.isArray(value)) return value.map(clone) as T
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, clone(v)])) as T
  return value
}

// Changes one place of the tree: a value replaced, a key removed, or a key added.
function mutate(root: Record<string, unknown>, random: () => number): void {
  const containers: (Record<string, unknown> | unknown[])[] = []
  const walk = (node: unknown): void => {
    if (Buffer.isBuffer(node)) return
    if (Array.isArray(node) || (typeof node === 'object' && node !== null)) {
      containers.push(node as Record<string, unknown>)
      for (const v of Object.values(node)) walk(v)
    }
  }
  walk(root)
  const node = containers[Math.floor(random() * containers.length)] as Record<string, unknown>
  const keys = Object.keys(node)
  const pick = random()
  const odd = clone(ODD[Math.floor(random() * ODD.length)])
  if (keys.length === 0 || pick < 0.15) {
    if (Array.isArray(node)) node.push(odd)
    else node[['extra', 'A', 'shell', 'argv', 'timeoutMs', 'kept', 'v', 'more'][Math.floor(random() * 8)] as string] = odd
  } else {
    const key = keys[Math.floor(random() * keys.length)] as string
    if (pick < 0.3 && !Array.isArray(node)) delete node[key]
    else node[key] = odd
  }
}

describe('fast checks of hot messages', () => {
  it('accept the valid messages as zod does', () => {
    for (const [type, messages] of Object.entries(valid))
      for (const fields of messages) {
        const message = { v: PROTOCOL_VERSION, type, ...fields }
        expect(Message.safeParse(message).success).toBe(true)
        expect(fastCheck(type, message)).toBe(true)
        expect(decodeFrame(encodeFrame(message as never))).toEqual(message)
      }
    expect([...FAST_CHECKS.keys()].sort()).toEqual(Object.keys(valid).sort())
  })

  it('never accept a mutated message that zod refuses', () => {
    const random = rng(24)
    let refused = 0
    for (let i = 0; i < 20_000; i++) {
      const types = Object.keys(valid)
      const type = types[i % types.length] as string
      const samples = valid[type] as Record<string, unknown>[]
      const message = clone({ v: PROTOCOL_VERSION, type, ...(samples[Math.floor(random() * samples.length)] as object) })
      for (let n = 1 + Math.floor(random() * 3); n > 0; n--) mutate(message, random)
      if (message.type !== type || message.v !== PROTOCOL_VERSION) continue // the envelope is decodeFrame's
      const zod = Message.safeParse(message).success
      if (!zod) refused++
      if (fastCheck(type, message) && !zod) expect.fail(`fast check accepted what zod refuses: ${JSON.stringify(message).slice(0, 500)}`)
    }
    expect(refused).toBeGreaterThan(5_000)
  })

  it('leave an odd but valid message to zod, and a bad one to its error', () => {
    const shell = 'x'.repeat(MAX_STRING_CHARS)
    const run = { v: PROTOCOL_VERSION, type: 'run', ...valid.run?.[0], command: { shell } }
    expect(fastCheck('run', run)).toBe(true)
    const bad = { ...run, command: { shell: shell + 'x' } }
    expect(fastCheck('run', bad)).toBe(false)
    expect(() => decodeFrame(encodeFrame(bad as never))).toThrow(ProtocolError)
    // A class instance zod would take as an object is left to it.
    class Odd {
      task = 't'
    }
    expect(fastCheck('started', Object.assign(new Odd(), { v: PROTOCOL_VERSION, type: 'started' }))).toBe(false)
  })
})
