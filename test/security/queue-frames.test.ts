// `queue` frames against a real daemon: a valid one is shown to monitors until its session ends; a
// malformed, oversized or misplaced one closes that connection only, and the node keeps serving.
import { Packr } from 'msgpackr'
import { describe, expect, it } from 'vitest'
import { PROTOCOL_VERSION, QUEUE_LISTED_TASKS, QUEUE_NAME_CHARS, type Outgoing } from '../../src/protocol/index.js'
import { snapshotNodes } from '../../src/watch/snapshot.js'
import { authenticated, closed, node, send, stillServes } from './harness.js'

const raw = new Packr({ useRecords: false })
const queue = (fields: Partial<Extract<Outgoing, { type: 'queue' }>> = {}): Outgoing => ({
  type: 'queue',
  batch: 'batch-1',
  waiting: 1,
  ready: 2,
  tasks: [{ name: 'B', after: ['A'], more: 0 }],
  ...fields,
})

async function queuesOf(url: string, client = 'monitor') {
  const [snap] = await snapshotNodes([url.replace(/^wss?:\/\//, '')], { client })
  if (!snap?.reachable) throw new Error('node unreachable')
  return snap.state.queues
}

describe('queue frames', { timeout: 60_000 }, () => {
  it('a session`s latest queue is shown to monitors (its client`s own marked mine), and forgotten when the session ends', async () => {
    const d = await node()
    const ws = await authenticated(d.url)
    send(ws, queue())
    send(ws, queue({ waiting: 3, tasks: [{ name: 'C', after: ['A', 'B'], more: 0 }] }))
    let queues = await queuesOf(d.url)
    for (let i = 0; i < 50 && queues?.[0]?.waiting !== 3; i++) queues = await queuesOf(d.url)
    expect(queues).toEqual([
      {
        client: 'raw',
        batch: 'batch-1',
        waiting: 3,
        ready: 2,
        tasks: [{ name: 'C', after: ['A', 'B'], more: 0 }],
        ageMs: expect.any(Number),
        mine: false,
      },
    ])
    expect((await queuesOf(d.url, 'raw'))?.[0]?.mine).toBe(true)
    // An empty one clears it; so does the end of the session.
    send(ws, queue({ waiting: 0, ready: 0, tasks: [] }))
    for (let i = 0; i < 50 && (await queuesOf(d.url)) !== undefined; i++);
    expect(await queuesOf(d.url)).toBeUndefined()
    send(ws, queue())
    for (let i = 0; i < 50 && (await queuesOf(d.url)) === undefined; i++);
    expect(await queuesOf(d.url)).toHaveLength(1)
    const gone = closed(ws)
    ws.close()
    await gone
    for (let i = 0; i < 50 && (await queuesOf(d.url)) !== undefined; i++);
    expect(await queuesOf(d.url)).toBeUndefined()
  })

  it('closes the connection on a malformed, oversized or misplaced queue frame, never the daemon', async () => {
    const d = await node()
    const tooMany = Array.from({ length: QUEUE_LISTED_TASKS + 1 }, (_, i) => ({ name: `t${i}`, after: [], more: 0 }))
    const cases: [Buffer, number][] = [
      [raw.pack({ v: PROTOCOL_VERSION, ...queue({ tasks: tooMany }) }), 4400],
      [raw.pack({ v: PROTOCOL_VERSION, ...queue({ tasks: [{ name: 'x'.repeat(QUEUE_NAME_CHARS + 1), after: [], more: 0 }] }) }), 4400],
      [raw.pack({ v: PROTOCOL_VERSION, ...queue(), extra: 1 }), 4400],
      [raw.pack({ v: PROTOCOL_VERSION, ...queue({ waiting: -1 }) }), 4400],
      [raw.pack({ v: PROTOCOL_VERSION, ...queue({ tasks: [{ name: 'B', after: 'A', more: 0 }] as never }) }), 4400],
      [raw.pack({ v: PROTOCOL_VERSION, ...queue({ batch: 'b'.repeat(5 * 1024 * 1024) }) }), 1009],
      // What a version-3 node would make of it: another version is refused at the first frame.
      [raw.pack({ v: 3, ...queue() }), 4426],
    ]
    for (const [frame, code] of cases) {
      const ws = await authenticated(d.url)
      const done = closed(ws)
      ws.send(frame)
      expect(await done).toBe(code)
    }
    // A monitor may not report a queue.
    const ws = await authenticated(d.url, undefined, 'watch')
    const done = closed(ws)
    send(ws, queue())
    expect(await done).toBe(4409)
    expect(await queuesOf(d.url)).toBeUndefined()
    await stillServes(d)
  })
})
