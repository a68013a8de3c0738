// The scheduler against in-memory nodes (memory-node.ts): requeue versus counted failure, a lost node,
// retries on another node, --halt, `after`, kept leases, and what a batch says while it waits. No
// sockets, no processes: each batch settles in milliseconds. The same paths run through real daemons
// in test/e2e/.
import os from 'node:os'
import { describe, expect, it } from 'vitest'
import { Scheduler, type ScheduleOptions } from '../../src/submit/scheduler.js'
import type { AttemptRecord, TaskResult } from '../../src/submit/result.js'
import { judge, MAX_LOST_RUNS, type AttemptEnd, type Verdict } from '../../src/submit/verdict.js'
import { parseTasks } from '../../src/tasks/index.js'
import { MemoryNode } from './memory-node.js'

async function batch(tasks: object[], nodes: MemoryNode[], plan: Partial<ScheduleOptions> = {}) {
  const log: AttemptRecord[] = []
  const waits: (string | undefined)[] = []
  const scheduler = new Scheduler(
    {
      tasks: parseTasks(tasks.map((t) => JSON.stringify(t)).join('\n'), 'test'),
      inputs: new Map(),
      dest: os.tmpdir(),
      perTaskFolders: false,
      pipeline: false,
      ...plan,
    },
    { attemptFinished: (r) => log.push(r), waiting: (w) => waits.push(w) },
  )
  for (const node of nodes) scheduler.addNode(node)
  const results = await scheduler.run()
  const byName = (name: string) => results.find((r) => r.name === name) as TaskResult
  const rows = log.map((r) => `${r.task}#${r.attempt} ${r.node} ${r.status}`)
  return { results, byName, rows, waits }
}

describe('Scheduler against in-memory nodes', () => {
  it('a lost node: its task runs again elsewhere without spending an attempt', async () => {
    const a = new MemoryNode('a', 1, () => ({ lose: true }))
    const b = new MemoryNode('b', 1)
    const { byName, rows } = await batch([{ name: 'x', run: 'true' }], [a, b])
    expect(byName('x')).toMatchObject({ status: 'succeeded', node: 'b', attempts: 1 })
    expect(rows).toEqual(['x#1 a requeued', 'x#1 b succeeded'])
  })

  it('a counted failure spends an attempt and is retried on another node', async () => {
    const a = new MemoryNode('a', 1, () => ({ exitCode: 1 }))
    const b = new MemoryNode('b', 1)
    const { byName, rows } = await batch([{ name: 'flaky', run: 'x', retries: 1 }], [a, b])
    expect(byName('flaky')).toMatchObject({ status: 'succeeded', node: 'b', attempts: 2 })
    expect(rows).toEqual(['flaky#1 a failed', 'flaky#2 b succeeded'])
  })

  it('fails once its retries are spent, with the reason and the count', async () => {
    const a = new MemoryNode('a', 1, () => ({ exitCode: 3 }))
    const { byName } = await batch([{ name: 'bad', run: 'x', retries: 2 }], [a])
    expect(byName('bad')).toMatchObject({ status: 'failed', reason: 'exit code 3', attempts: 3, exitCode: 3 })
  })

  it(`fails a task whose node is lost ${MAX_LOST_RUNS} times under it`, async () => {
    const nodes = ['a', 'b', 'c', 'd'].map((n) => new MemoryNode(n, 1, () => ({ lose: true })))
    const { byName, rows } = await batch([{ name: 'crasher', run: 'x' }], nodes)
    expect(byName('crasher')).toMatchObject({ status: 'failed', attempts: 1 })
    expect(byName('crasher').reason).toMatch(/^its node was lost 3 times during its attempts/)
    expect(rows).toEqual(['crasher#1 a requeued', 'crasher#1 b requeued', 'crasher#1 c failed'])
  })

  it('an eviction by the node policy requeues without spending an attempt', async () => {
    const a = new MemoryNode('a', 1, (_name, run) => (run === 1 ? { evicted: true, exitCode: 143 } : {}))
    const { byName, rows } = await batch([{ name: 'x', run: 'true' }], [a])
    expect(byName('x')).toMatchObject({ status: 'succeeded', attempts: 1 })
    expect(rows).toEqual(['x#1 a requeued', 'x#1 a succeeded'])
  })

  it('--halt now: the first failure cancels the running task and the waiting ones', async () => {
    const a = new MemoryNode('a', 2, (name) => (name === 'slow' ? { hang: true } : name === 'bad' ? { exitCode: 1 } : {}))
    const tasks = [
      { name: 'slow', run: 'x' },
      { name: 'bad', run: 'x' },
      { name: 'rest', run: 'x' },
    ]
    const { byName } = await batch(tasks, [a], { halt: { when: 'now', on: 'fail', count: 1 } })
    expect(byName('bad')).toMatchObject({ status: 'failed' })
    expect(byName('slow')).toMatchObject({ status: 'cancelled', signal: 'SIGTERM' })
    expect(byName('rest')).toMatchObject({ status: 'cancelled', reason: 'halted', attempts: 0 })
  })

  it('--halt now while a task’s inputs are being sent: that task never starts, its lease goes back', async () => {
    const a = new MemoryNode('a', 1)
    let uploaded = (): void => undefined
    a.uploads = new Promise((resolve) => (uploaded = resolve))
    const b = new MemoryNode('b', 1, (name) => {
      if (name === 'bad') setTimeout(() => uploaded(), 20) // once the failure has halted the batch
      return name === 'bad' ? { exitCode: 1 } : {}
    })
    const tasks = [
      { name: 'big', run: 'x', requires: { nodes: ['a'] } },
      { name: 'bad', run: 'x', requires: { nodes: ['b'] } },
    ]
    const { byName, rows } = await batch(tasks, [a, b], { halt: { when: 'now', on: 'fail', count: 1 } })
    expect(byName('bad')).toMatchObject({ status: 'failed' })
    expect(byName('big')).toMatchObject({ status: 'cancelled', reason: 'halted' })
    expect(a.ran).toEqual([])
    expect(a.used).toBe(0)
    expect(rows).toEqual(['bad#1 b failed'])
  })

  it('`after`: a task waits for its dependency, and is skipped when that fails', async () => {
    const a = new MemoryNode('a', 2, (name) => (name === 'c' ? { exitCode: 1 } : {}))
    const tasks = [
      { name: 'b', run: 'x', after: ['a'] },
      { name: 'a', run: 'x' },
      { name: 'd', run: 'x', after: ['c'] },
      { name: 'c', run: 'x' },
    ]
    const { byName } = await batch(tasks, [a])
    expect(a.ran.indexOf('a')).toBeLessThan(a.ran.indexOf('b'))
    expect(byName('b').status).toBe('succeeded')
    expect(byName('d')).toMatchObject({ status: 'skipped', reason: 'skipped because c failed' })
    expect(a.ran).not.toContain('d')
  })

  it('a kept lease no waiting task fits (other lock, other slots) is given back and the next task starts', async () => {
    const one = new MemoryNode('one', 1)
    const locked = await batch([{ lock: 'a', run: 'x' }, { run: 'x' }], [one])
    expect(locked.results.map((r) => r.status)).toEqual(['succeeded', 'succeeded'])
    const two = new MemoryNode('two', 2)
    const wide = await batch([{ slots: 2, run: 'x' }, { run: 'x' }, { run: 'x' }, { run: 'x' }], [two])
    expect(wide.results.every((r) => r.status === 'succeeded')).toBe(true)
    expect(two.used).toBe(0)
  }, 5_000)

  it('says what it waits for while a node is paused, and that the wait is over when it resumes', async () => {
    const a = new MemoryNode('a', 1)
    a.paused = true
    setTimeout(() => a.resume(), 50)
    const { byName, waits } = await batch([{ name: 'x', run: 'x' }], [a])
    expect(byName('x').status).toBe('succeeded')
    expect(waits).toEqual(['a: paused: outside hours 19:00-07:00', undefined])
  })

  it('a node lost with nothing else to run on fails what waits: no node left', async () => {
    const a = new MemoryNode('a', 1, (name) => (name === 'first' ? { lose: true } : {}))
    const { byName } = await batch(
      [
        { name: 'first', run: 'x' },
        { name: 'second', run: 'x' },
      ],
      [a],
    )
    expect(byName('second')).toMatchObject({ status: 'failed', reason: 'no node left to run it' })
  })
})

describe('judge: whether an attempt counts', () => {
  const failed = { status: 'failed' as const, reason: 'exit code 1' }
  const exited = (o: Partial<Extract<AttemptEnd, { how: 'exited' }>> = {}): AttemptEnd => ({
    how: 'exited',
    outcome: failed,
    evicted: false,
    withdrawn: false,
    missing: false,
    ...o,
  })
  const threw = (error: 'lost' | 'not-held' | 'changed' | 'other', ran = true): AttemptEnd => ({ how: 'threw', error, message: 'm', ran })
  const cases: [string, AttemptEnd, number, boolean, Pick<Verdict, 'next' | 'counts'> & { lostRuns?: number }][] = [
    ['refused', { how: 'refused' }, 0, true, { next: 'again', counts: false }],
    ['stopped before its run', { how: 'stopped' }, 0, true, { next: 'again', counts: false }],
    ['succeeded', exited({ outcome: { status: 'succeeded' } }), 0, true, { next: 'final', counts: true }],
    ['failed, retries left', exited(), 0, true, { next: 'retry', counts: true }],
    ['failed, no retries left', exited(), 0, false, { next: 'final', counts: true }],
    ['evicted', exited({ evicted: true }), 0, false, { next: 'again', counts: false }],
    ['evicted while cancelled', exited({ evicted: true, outcome: { status: 'cancelled' } }), 0, false, { next: 'final', counts: true }],
    ['withdrawn from the queue', exited({ withdrawn: true }), 0, false, { next: 'again', counts: false }],
    [
      'withdrawn but it succeeded',
      exited({ withdrawn: true, outcome: { status: 'succeeded' } }),
      0,
      false,
      { next: 'final', counts: true },
    ],
    ['an input missing on the node', exited({ missing: true }), 0, false, { next: 'again', counts: false, lostRuns: 1 }],
    ['an input missing, the last time', exited({ missing: true }), 2, false, { next: 'final', counts: true, lostRuns: 3 }],
    ['node lost while it ran', threw('lost'), 0, false, { next: 'again', counts: false, lostRuns: 1 }],
    ['node lost the last time, retries left', threw('lost'), 2, true, { next: 'retry', counts: true, lostRuns: 3 }],
    ['node lost before it ran', threw('lost', false), 2, false, { next: 'again', counts: false, lostRuns: 2 }],
    ['lease not held', threw('not-held'), 0, false, { next: 'again', counts: false, lostRuns: 1 }],
    ['input changed while sent', threw('changed'), 0, false, { next: 'again', counts: false, lostRuns: 1 }],
    ['an input unreadable', threw('other', false), 0, false, { next: 'final', counts: true }],
  ]
  it.each(cases)('%s', (_what, end, lostRuns, retriesLeft, expected) => {
    const verdict = judge(end, lostRuns, retriesLeft)
    expect(verdict).toMatchObject({ next: expected.next, counts: expected.counts, lostRuns: expected.lostRuns ?? lostRuns })
    expect(verdict.outcome === undefined).toBe(expected.next === 'again')
  })
})
