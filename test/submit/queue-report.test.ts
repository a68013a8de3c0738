// The `queue` summary a batch sends its nodes: bounded as the protocol says, rebuilt only when the
// scheduler's counters moved, sent to a node only when it differs from what that node last got.
import os from 'node:os'
import { describe, expect, it } from 'vitest'
import { Queue, PROTOCOL_VERSION, QUEUE_LISTED_AFTER, QUEUE_LISTED_TASKS, QUEUE_NAME_CHARS } from '../../src/protocol/index.js'
import { QueueReport, summarise, type QueueSource, type QueueSummary } from '../../src/submit/queue-report.js'
import { Scheduler } from '../../src/submit/scheduler.js'
import { parseTasks } from '../../src/tasks/index.js'
import { MemoryNode } from './memory-node.js'

// A source whose blocked tasks the test sets; `reads` counts how often the list was walked.
function source(tasks: { name: string; after: string[] }[] = []) {
  const s = {
    version: 0,
    tasks,
    reads: 0,
    get waitingCount() {
      return s.tasks.length
    },
    *blocked() {
      s.reads++
      yield* s.tasks
    },
  }
  return s satisfies QueueSource
}

function sink() {
  const got: QueueSummary[] = []
  return { connected: true, got, queue: (summary: QueueSummary) => void got.push(summary) }
}

describe('queue summary', () => {
  it('lists at most QUEUE_LISTED_TASKS tasks, QUEUE_LISTED_AFTER dependencies each (the rest counted), names cut: a valid frame', () => {
    const long = 'x'.repeat(300)
    const deps = Array.from({ length: 20 }, (_, i) => `dep-${i}`)
    const tasks = Array.from({ length: 500 }, (_, i) => ({ name: i === 0 ? long : `t${i}`, after: i === 1 ? deps : ['a'] }))
    const summary = summarise('b', source(tasks), 512)
    expect(summary.waiting).toBe(500)
    expect(summary.ready).toBe(12)
    expect(summary.tasks).toHaveLength(QUEUE_LISTED_TASKS)
    expect(summary.tasks[0]?.name).toHaveLength(QUEUE_NAME_CHARS)
    expect(summary.tasks[1]).toEqual({ name: 't1', after: deps.slice(0, QUEUE_LISTED_AFTER), more: 20 - QUEUE_LISTED_AFTER })
    expect(summary.tasks[2]).toEqual({ name: 't2', after: ['a'], more: 0 })
    expect(Queue.safeParse({ v: PROTOCOL_VERSION, type: 'queue', ...summary }).success).toBe(true)
  })

  it('sends on change only, at most once a tick, to each node what it lacks; an empty one only to a node told something', () => {
    const s = source([{ name: 'B', after: ['A'] }])
    let queued = 1
    const a = sink()
    const b = sink()
    const nodes = [a]
    const report = new QueueReport(
      s,
      () => queued,
      () => nodes,
    )
    report.tick()
    expect(a.got).toEqual([{ batch: report.batch, waiting: 1, ready: 0, tasks: [{ name: 'B', after: ['A'], more: 0 }] }])
    // Nothing moved: nothing sent, the list not even walked.
    const reads = s.reads
    report.tick()
    report.tick()
    expect(a.got).toHaveLength(1)
    expect(s.reads).toBe(reads)
    // Many changes between two ticks: one frame, the latest.
    for (let i = 0; i < 100; i++) queued++
    s.version += 7
    report.tick()
    expect(a.got).toHaveLength(2)
    expect(a.got[1]).toMatchObject({ waiting: 1, ready: 100 })
    // A node that joins gets the current summary at the next tick; the one told already gets nothing.
    nodes.push(b)
    report.tick()
    expect(a.got).toHaveLength(2)
    expect(b.got).toEqual([a.got[1]])
    // A lost node is skipped.
    b.connected = false
    s.tasks = []
    queued = 0
    s.version++
    report.tick()
    expect(a.got.at(-1)).toMatchObject({ waiting: 0, ready: 0, tasks: [] })
    expect(b.got).toHaveLength(1)
    // A fresh node is not told that there is nothing; stop() tells no one who already knows.
    const c = sink()
    nodes.push(c)
    report.tick()
    report.stop()
    expect(c.got).toEqual([])
    expect(a.got).toHaveLength(3)
  })

  it('stop: every node told of waiting tasks hears that the batch holds none', () => {
    const s = source([{ name: 'B', after: ['A'] }])
    const a = sink()
    const report = new QueueReport(
      s,
      () => 1,
      () => [a],
    )
    report.tick()
    report.stop()
    expect(a.got.map((g) => g.waiting)).toEqual([1, 0])
    expect(a.got[1]).toEqual({ batch: report.batch, waiting: 0, ready: 0, tasks: [] })
  })

  it('a batch tells its nodes which tasks wait for what while their dependency runs, and that none do once it ended', async () => {
    const node = new MemoryNode('n', 1, (name) => ({ ms: name === 'a' ? 700 : 1 }))
    const lines = [
      { name: 'a', run: 'x' },
      { name: 'b', run: 'x', after: ['a'] },
      { name: 'c', run: 'x', after: ['a', 'b'] },
    ]
    const tasks = parseTasks(lines.map((t) => JSON.stringify(t)).join('\n'), 'test')
    const scheduler = new Scheduler({ tasks, inputs: new Map(), dest: os.tmpdir(), perTaskFolders: false, pipeline: false }, {})
    scheduler.addNode(node)
    await scheduler.run()
    expect(node.queues[0]).toMatchObject({
      waiting: 2,
      ready: 0,
      tasks: [
        { name: 'b', after: ['a'], more: 0 },
        { name: 'c', after: ['a', 'b'], more: 0 },
      ],
    })
    expect(node.queues.at(-1)).toMatchObject({ waiting: 0, ready: 0, tasks: [] })
    expect(new Set(node.queues.map((q) => q.batch)).size).toBe(1)
  })
})
