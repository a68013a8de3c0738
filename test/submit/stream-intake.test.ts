// A stream of task lines into the scheduler (intake.ts), against in-memory nodes: tasks run as their
// lines come, a finished task leaves no record but its name's state (so a later `after` still finds
// it), the reader pauses while the queue is long, and what a stream's end decides (unknown names).
import os from 'node:os'
import { describe, expect, it } from 'vitest'
import { feed, type IntakeOptions } from '../../src/submit/intake.js'
import { NameBook } from '../../src/submit/name-book.js'
import type { LineProblem, SubmitObserver } from '../../src/submit/result.js'
import { BACKLOG_HIGH, Scheduler, type HaltPolicy } from '../../src/submit/scheduler.js'
import { until } from '../helpers/wait.js'
import { MemoryNode } from './memory-node.js'

const OPTIONS: IntakeOptions = { cwd: os.tmpdir(), source: '<stdin>', autoInputs: false, defaults: {}, warn: () => {} }

function streamed(observer: SubmitObserver = {}, halt?: HaltPolicy) {
  const scheduler = new Scheduler(
    { tasks: [], inputs: new Map(), dest: os.tmpdir(), perTaskFolders: false, stream: true, source: '<stdin>', ...(halt && { halt }) },
    observer,
  )
  return scheduler
}

describe('a stream of task lines into the scheduler', () => {
  it('keeps no record of a finished task, and pauses the reader while the queue is long', { timeout: 60_000 }, async () => {
    const scheduler = streamed()
    const node = new MemoryNode('a', 2)
    scheduler.addNode(node)
    const count = 10_000
    let mostWaiting = 0
    async function* lines() {
      for (let i = 0; i < count; i++) {
        mostWaiting = Math.max(mostWaiting, scheduler.waiting.length)
        yield 'true'
      }
    }
    const feeding = feed(lines(), scheduler.intake, OPTIONS)
    const results = await scheduler.run()
    await feeding
    expect(scheduler.books.tally.counts.succeeded).toBe(count)
    // What is left of 10,000 finished tasks: counters, and one byte a line in the name book.
    expect(scheduler.books.unfinished).toBe(0)
    expect(results).toEqual([])
    expect(mostWaiting).toBeLessThanOrEqual(BACKLOG_HIGH + 512)
  })

  it('a later line may name a task that finished long ago, or one not read yet', async () => {
    const scheduler = streamed()
    scheduler.addNode(new MemoryNode('a', 1))
    async function* lines() {
      yield '{"name":"b","run":"true","after":"a"}'
      yield '{"name":"a","run":"true"}'
      await until(() => scheduler.books.names.get('b') === 'succeeded', 'b to succeed')
      yield '{"name":"c","run":"true","after":["a","b"]}'
    }
    const feeding = feed(lines(), scheduler.intake, OPTIONS)
    await scheduler.run()
    await feeding
    expect(scheduler.books.tally.counts).toEqual({ succeeded: 3, failed: 0, skipped: 0, cancelled: 0 })
    expect(scheduler.books.unfinished).toBe(0)
  })

  it('a bad line is reported with its number and not run; names unknown at the end fail their tasks', async () => {
    const problems: LineProblem[] = []
    const scheduler = streamed({ lineRejected: (p) => problems.push(p) })
    scheduler.addNode(new MemoryNode('a', 1))
    async function* lines() {
      yield 'true\n{"run":\n{"name":"x","run":"true","after":"ghost"}\n{"name":"y","run":"true","after":"x"}'
      yield '{"name":"x","run":"true"}\ntrue'
    }
    const feeding = feed(lines(), scheduler.intake, OPTIONS)
    const results = await scheduler.run()
    await feeding
    expect(problems.map((p) => `${p.source}:${p.line}`)).toEqual(['<stdin>:2', '<stdin>:5', '<stdin>:3'])
    expect(problems[1]?.message).toContain('name x is already used')
    expect(problems[2]?.message).toBe('"after" names "ghost", but no task has that name')
    expect(results.map((r) => `${r.name} ${r.status}`)).toEqual(['x failed', 'y skipped'])
    expect(scheduler.books.tally.counts.succeeded).toBe(2)
    expect(scheduler.books.tally.rejected).toBe(3)
  })

  it('a task whose after names nothing is said once, as its line, and is one failure for --halt', async () => {
    const problems: LineProblem[] = []
    const warnings: string[] = []
    const scheduler = streamed(
      { lineRejected: (p) => problems.push(p), warning: (w) => warnings.push(w) },
      { when: 'soon', on: 'fail', count: 2 },
    )
    scheduler.addNode(new MemoryNode('a', 1))
    async function* lines() {
      yield '{"name":"x","run":"true","after":"ghost"}\n{"name":"y","run":"true","after":"x"}\ntrue'
    }
    const feeding = feed(lines(), scheduler.intake, OPTIONS)
    await scheduler.run()
    await feeding
    expect(problems).toEqual([{ source: '<stdin>', line: 1, message: '"after" names "ghost", but no task has that name', task: 'x' }])
    // Counted twice, it would have halted the batch (fail=2) and cancelled y instead of skipping it.
    expect(warnings).toEqual([])
    expect(scheduler.books.tally.counts).toEqual({ succeeded: 1, failed: 1, skipped: 1, cancelled: 0 })
    expect(scheduler.books.tally.rejected).toBe(1)
  })
})

describe('NameBook', () => {
  it('keeps default names by line and explicit ones by name; a name is claimed once', () => {
    const book = new NameBook()
    expect(book.claim('task-3', 3)).toBe(true)
    expect(book.claim('task-3', 9)).toBe(false) // an explicit name equal to line 3's default name
    expect(book.claim('task-4', 9)).toBe(true) // default-shaped, but line 4 has no task of that name
    expect(book.claim('task-4', 4)).toBe(false)
    book.set('task-3', 3, 'failed')
    expect(book.get('task-3')).toBe('failed')
    expect(book.get('task-4')).toBe('pending')
    expect(book.claim('render', 100_000)).toBe(true)
    book.set('render', 100_000, 'succeeded')
    expect(book.get('render')).toBe('succeeded')
    expect(book.get('task-100000')).toBeUndefined()
  })
})
