// Hostile frames against a real daemon: each closes that connection only, nothing runs, and the node
// keeps serving. 10,000+ frames are generated with fast-check: random bytes, valid frames mutated,
// hostile msgpack length prefixes, deep nesting, random maps with plausible keys, batches of them.
import fc from 'fast-check'
import { Packr } from 'msgpackr'
import { describe, expect, it } from 'vitest'
import type { WebSocket } from 'ws'
import {
  encodeFrame,
  joinFrames,
  MAX_FRAME_BYTES,
  MAX_MESSAGES_PER_FRAME,
  newNonce,
  PROTOCOL_VERSION,
  type Outgoing,
} from '../../src/protocol/index.js'
import { arrayBytes, protoKeyFrame } from '../helpers/hostile-bytes.js'
import { authenticated, closed, framesUntilClose, marker, node, open, reserveRaw, SECRET, send, stillServes } from './harness.js'

const raw = new Packr({ useRecords: false })
const digest = 'a'.repeat(64)

function seeds(markerFile: string): Outgoing[] {
  return [
    { type: 'hello', role: 'submit', client: 'fuzz', nonce: newNonce() },
    { type: 'auth', proof: newNonce() },
    { type: 'reserve', id: 1, slots: 1 },
    { type: 'release', lease: 'l' },
    { type: 'have', id: 2, blobs: [{ digest, size: 3 }] },
    { type: 'blob', digest, offset: 0, data: Buffer.from('abc'), final: true },
    {
      type: 'run',
      lease: 'not-a-lease',
      task: 't',
      name: 'n',
      command: { shell: `touch ${markerFile}` },
      env: { A: 'b' },
      files: [{ path: 'a/b', digest, mode: 0o644 }],
      outputs: ['*'],
    },
    { type: 'run', lease: 'x', task: 't2', name: 'n', command: { argv: ['touch', markerFile] }, env: {}, files: [], outputs: [] },
    { type: 'cancel', task: 't' },
    { type: 'error', code: 'DISTW_ERR_INTERNAL', message: 'm' },
  ]
}

const hostilePrefixes = [0xdc, 0xdd, 0xde, 0xdf, 0xc4, 0xc5, 0xc6, 0xd9, 0xda, 0xdb, 0xc7, 0xc8, 0xc9]

function frameArbitrary(markerFile: string): fc.Arbitrary<Buffer> {
  const single = fc.constantFrom(...seeds(markerFile).map((m) => encodeFrame(m)))
  // Batches (protocol 5): 2 to 6 of the seeds in one frame, mutated like single frames below.
  const valid = fc.oneof(
    single,
    fc.array(single, { minLength: 2, maxLength: 6 }).map((frames) => joinFrames(frames)),
  )
  const mutated = fc
    .tuple(valid, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }), fc.nat())
    .map(([frame, edits, cut]) => {
      const copy = Buffer.from(frame)
      for (const [at, byte] of edits) copy[at % copy.length] = byte
      return cut % 4 === 0 ? copy.subarray(0, cut % copy.length) : copy
    })
  const randomBytes = fc.uint8Array({ maxLength: 256 }).map((b) => Buffer.from(b))
  const lengthBomb = fc
    .tuple(fc.constantFrom(...hostilePrefixes), fc.uint8Array({ minLength: 1, maxLength: 8 }))
    .map(([prefix, rest]) => Buffer.concat([Buffer.from([prefix, 0xff, 0xff, 0xff, 0xff]), Buffer.from(rest)]))
  const nested = fc
    .tuple(fc.integer({ min: 100, max: 20_000 }), fc.constantFrom(0x91, 0x81))
    .map(([depth, byte]) =>
      byte === 0x91
        ? Buffer.alloc(depth, 0x91)
        : Buffer.concat(Array.from({ length: Math.min(depth, 5_000) }, () => Buffer.from([0x81, 0xa1, 0x61]))),
    )
  const keys = fc.constantFrom('v', 'type', '__proto__', 'constructor', 'prototype', 'lease', 'command', 'files', 'env', 'task')
  const values = fc.oneof(
    fc.constant(PROTOCOL_VERSION),
    fc.constantFrom('run', 'reserve', 'hello', 'auth', 'blob', 'nope'),
    fc.string(),
    fc.integer(),
    fc.constant(null),
    fc.uint8Array({ maxLength: 40 }),
    fc.array(fc.string(), { maxLength: 3 }),
  )
  const randomMap = fc.dictionary(keys, values, { maxKeys: 6 }).map((m) => raw.pack(m))
  return fc.oneof({ arbitrary: mutated, weight: 5 }, { arbitrary: randomBytes, weight: 2 }, lengthBomb, nested, {
    arbitrary: randomMap,
    weight: 2,
  })
}

// Sends each frame on its own fresh connection, `width` at a time; a frame the node accepted (a valid
// hello) is followed by a reserve, which must close an unauthenticated connection.
async function sprayUnauthenticated(url: string, frames: Buffer[], width: number): Promise<Map<number, number>> {
  const codes = new Map<number, number>()
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < frames.length) {
      const frame = frames[next++] as Buffer
      const ws = await open(url)
      const done = closed(ws)
      ws.send(frame)
      send(ws, { type: 'reserve', id: 9, slots: 1 })
      const code = await done
      codes.set(code, (codes.get(code) ?? 0) + 1)
    }
  }
  await Promise.all(Array.from({ length: width }, worker))
  return codes
}

describe('hostile frames', () => {
  it('closes on an oversize frame, an unknown type, a __proto__ key and a version mismatch', async () => {
    const d = await node({ secret: SECRET })
    const cases: [Buffer, number][] = [
      [Buffer.alloc(MAX_FRAME_BYTES + 1), 1009],
      [raw.pack({ v: PROTOCOL_VERSION, type: 'launch-missiles' }), 4404],
      [raw.pack({ v: 99, type: 'hello', role: 'submit', client: 'x', nonce: newNonce() }), 4426],
      [protoKeyFrame(), 4400],
    ]
    for (const authed of [false, true]) {
      for (const [frame, expected] of cases) {
        const ws: WebSocket = authed ? await authenticated(d.url, SECRET) : await open(d.url)
        const code = closed(ws)
        ws.send(frame)
        expect(await code).toBe(expected)
      }
    }
    expect(({} as Record<string, unknown>).task).toBeUndefined()
    await stillServes(d, SECRET)
  })

  it('closes on a batch with a bad message, too long, too short or nested, and acts on none of it', async () => {
    const d = await node({ secret: SECRET })
    const m = await marker()
    const cancel = (task: string): Buffer => encodeFrame({ type: 'cancel', task })
    const bad = raw.pack({ v: PROTOCOL_VERSION, type: 'cancel', task: 'x', extra: 1 })
    const cases: [(lease: string) => Buffer, number][] = [
      // A run on a lease it holds, then a bad message: the run must not start.
      [(lease) => arrayBytes([encodeFrame(touch(lease, m.file)), bad]), 4400],
      [(lease) => arrayBytes([encodeFrame(touch(lease, m.file)), raw.pack({ v: 4, type: 'cancel', task: 'x' })]), 4426],
      [(lease) => arrayBytes([encodeFrame(touch(lease, m.file)), raw.pack({ v: PROTOCOL_VERSION, type: 'launch-missiles' })]), 4404],
      [
        (lease) =>
          arrayBytes([encodeFrame(touch(lease, m.file)), ...Array.from({ length: MAX_MESSAGES_PER_FRAME }, (_, i) => cancel(String(i)))]),
        4400,
      ],
      [(lease) => arrayBytes([encodeFrame(touch(lease, m.file)), joinFrames([cancel('a'), cancel('b')])]), 4400],
      [(lease) => arrayBytes([encodeFrame(touch(lease, m.file))]), 4400],
      [() => arrayBytes([]), 4400],
    ]
    for (const [frame, expected] of cases) {
      const ws = await authenticated(d.url, SECRET)
      const lease = await reserveRaw(ws)
      const seen = framesUntilClose(ws)
      ws.send(frame(lease))
      const { frames, code } = await seen
      expect(code).toBe(expected)
      expect(frames.map((f) => f.type)).toEqual(['error'])
    }
    // Before the handshake too: a batch is refused as any frame would be.
    const early = await open(d.url)
    const gone = closed(early)
    early.send(joinFrames([encodeFrame({ type: 'hello', role: 'submit', client: 'x', nonce: newNonce() }), cancel('a')]))
    expect(await gone).toBe(4401)
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(await m.ran()).toBe(false)
    // A good batch: every message of it is answered, in order.
    const ws = await authenticated(d.url, SECRET)
    const replies = framesUntilClose(ws, 2_000)
    ws.send(
      joinFrames([
        encodeFrame({ type: 'reserve', id: 1, slots: 1 }),
        encodeFrame({ type: 'reserve', id: 2, slots: 1 }),
        encodeFrame({ type: 'reserve', id: 3, slots: 1 }),
      ]),
    )
    const { frames } = await replies
    expect(frames.map((f) => `${f.type} ${(f as { id?: number }).id}`)).toEqual(['reserved 1', 'reserved 2', 'refused 3'])
    ws.close()
    await stillServes(d, SECRET)
  })

  it('survives 10,000+ random and mutated frames: nothing runs, the node keeps serving', async () => {
    // Plain WebSocket (--insecure with the secret): the frames are the subject, not 10,000 TLS handshakes.
    const d = await node({ secret: SECRET, insecure: true })
    const m = await marker()
    const arbitrary = frameArbitrary(m.file)
    const before = await memory()
    // Before authentication: one connection per frame.
    const unauth = fc.sample(arbitrary, { numRuns: 7_000, seed: 6 })
    const codes = await sprayUnauthenticated(d.url, unauth, 12)
    expect([...codes.values()].reduce((a, b) => a + b, 0)).toBe(unauth.length)
    for (const code of codes.keys()) expect(code).toBeGreaterThanOrEqual(1000)
    // After authentication: a few connections, reconnecting whenever the node hangs up.
    const authed = fc.sample(arbitrary, { numRuns: 3_500, seed: 7 })
    let ws = await authenticated(d.url, SECRET)
    let reconnects = 0
    for (const frame of authed) {
      if (ws.readyState !== ws.OPEN) {
        ws = await authenticated(d.url, SECRET)
        reconnects++
      }
      const gone = closed(ws)
      ws.send(frame)
      // Give the node a moment to answer or hang up before the next frame.
      await Promise.race([gone, new Promise((r) => setImmediate(r))])
    }
    ws.close()
    expect(reconnects).toBeGreaterThan(100)
    expect(await m.ran()).toBe(false)
    await stillServes(d, SECRET)
    expect((await memory()) - before).toBeLessThan(200 * 1024 * 1024)
  }, 120_000)
})

async function memory(): Promise<number> {
  return process.memoryUsage().rss
}

function touch(lease: string, file: string): Outgoing {
  return { type: 'run', lease, task: 't', name: 'n', command: { argv: ['touch', file] }, env: {}, files: [], outputs: [] }
}
