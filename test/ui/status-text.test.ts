// `distw status` text from node snapshots: one line per node, its running tasks below, and why a
// draining node takes no new tasks.
import { describe, expect, it } from 'vitest'
import { statusText } from '../../src/ui/status-text.js'
import type { NodeSnapshot } from '../../src/watch/snapshot.js'
import { batchesOf } from '../../src/watch/batches.js'

const node = { id: 'n1', name: 'night-box', version: '0.1.0', os: 'linux', arch: 'x64', slots: 2, tags: [] }

describe('statusText', () => {
  it('says why a draining node takes no new tasks, lists an unreachable one, and counts queued runs', () => {
    const nodes: NodeSnapshot[] = [
      {
        peer: '10.0.0.5:7420',
        reachable: true,
        state: {
          node,
          slotsUsed: 0,
          load: 0.25,
          state: 'draining',
          pauseReason: 'paused: outside hours 19:00-07:00',
          running: [],
          recent: [],
          succeeded: 4,
          failed: 0,
          cache: { usedBytes: 3.4 * 1024 ** 2, capBytes: 10 * 1024 ** 3 },
        },
      },
      { peer: '10.0.0.6:7420', reachable: false, error: 'connection refused' },
      {
        peer: '10.0.0.7:7420',
        reachable: true,
        state: {
          node: { ...node, name: 'busy-box' },
          slotsUsed: 2,
          load: 2,
          state: 'busy',
          running: [],
          queued: 2,
          recent: [],
          succeeded: 0,
          failed: 0,
        },
      },
    ]
    expect(statusText(nodes)).toBe(
      'night-box  10.0.0.5:7420  linux/x64  draining (paused: outside hours 19:00-07:00)  slots 0/2  load 0.25  done 4 ok, 0 failed  cache 3.4 MiB of 10 GiB\n' +
        '10.0.0.6:7420  unreachable: connection refused\n' +
        'busy-box  10.0.0.7:7420  linux/x64  busy  slots 2/2 (+2 queued)  load 2.00  done 0 ok, 0 failed\n',
    )
  })

  it('lists the tasks a batch holds back once, from its youngest report, however many nodes told it', () => {
    const base = { node, slotsUsed: 0, load: 0, state: 'idle' as const, running: [], recent: [], succeeded: 0, failed: 0 }
    const queue = (ageMs: number, after: string[]) => ({
      client: 'ann@box',
      batch: '0123456789abcdef',
      waiting: 60,
      ready: 3,
      tasks: [{ name: 'B', after, more: 0 }],
      ageMs,
      mine: false,
    })
    const nodes: NodeSnapshot[] = [
      { peer: 'h:1', reachable: true, state: { ...base, queues: [queue(800, ['A', 'Z'])] } },
      { peer: 'h:2', reachable: true, state: { ...base, node: { ...node, name: 'other-box' }, queues: [queue(20, ['A'])] } },
    ]
    const [batch] = batchesOf(nodes)
    expect(batchesOf(nodes)).toHaveLength(1)
    expect(batch).toMatchObject({ client: 'ann@box', nodes: ['night-box', 'other-box'], waiting: 60, ready: 3 })
    expect(batch?.tasks).toEqual([{ name: 'B', after: ['A'], more: 0, state: 'waiting' }])
    const text = statusText(nodes)
    expect(text).toContain('batch 01234567 of ann@box  60 waiting for dependencies, 3 ready to start  (told night-box, other-box)\n')
    expect(text).toContain('  B  ann@box  waiting  after A\n  … and 59 more waiting\n')
  })
})
