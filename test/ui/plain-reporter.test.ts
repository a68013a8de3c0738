// A retried task's output: half a line held from a cut attempt is written when the next attempt
// starts, on a line of its own, not joined with what the next attempt prints.
import { describe, expect, it } from 'vitest'
import type { SubmitObserver, TaskResult } from '../../src/submit/result.js'
import type { TaskSpec } from '../../src/tasks/index.js'
import { keepOrder } from '../../src/ui/keep-order.js'
import { plainReporter } from '../../src/ui/plain-reporter.js'

const task = { name: 't', line: 1 } as TaskSpec
const node = { name: 'box', id: 'n1', slots: 1 } as never

describe('plainReporter', () => {
  it('ends a cut attempt’s partial line before the next attempt’s output', () => {
    const out: string[] = []
    const r = plainReporter({ out: (text) => void out.push(Buffer.from(text).toString()), err: () => true })
    r.taskStarted?.(task, node, 1)
    void r.taskOutput?.(task, 'stdout', Buffer.from('half'))
    r.taskStarted?.(task, node, 2)
    void r.taskOutput?.(task, 'stdout', Buffer.from('whole\n'))
    r.taskFinished?.({ name: 't', status: 'succeeded', skipped: [], attempts: 2 } as unknown as TaskResult)
    expect(out.join('')).toBe('[t] half\n[t] whole\n')
  })

  it('passes output bytes as they are with tag: false (--no-tag), a cut character included', () => {
    const out: Buffer[] = []
    const r = plainReporter({ out: (data) => void out.push(Buffer.from(data)), err: () => true }, { tag: false })
    const euro = Buffer.from('€')
    void r.taskOutput?.(task, 'stdout', Buffer.concat([Buffer.from('no newline '), euro.subarray(0, 1)]))
    void r.taskOutput?.(task, 'stdout', euro.subarray(1))
    r.taskFinished?.({ name: 't', status: 'succeeded', skipped: [], attempts: 1 } as unknown as TaskResult)
    expect(Buffer.concat(out).toString()).toBe('no newline €')
  })
})

describe('keepOrder', () => {
  it('holds a task’s output and end until every earlier line has ended', async () => {
    const [a, b, c] = [1, 2, 3].map((line) => ({ name: `task-${line}`, line }) as TaskSpec) as [TaskSpec, TaskSpec, TaskSpec]
    const seen: string[] = []
    const r = keepOrder<SubmitObserver>({
      taskOutput: (t, _s, data) => void seen.push(`${t.name}:${data.toString()}`),
      taskFinished: (result) => void seen.push(`${result.name} done`),
    })
    const done = (name: string) => r.taskFinished?.({ name } as TaskResult)
    r.batchPlanned?.(3, [c, a, b])
    await r.taskOutput?.(c, 'stdout', Buffer.from('C'))
    done('task-3')
    await r.taskOutput?.(b, 'stdout', Buffer.from('B'))
    await r.taskOutput?.(a, 'stdout', Buffer.from('A'))
    expect(seen).toEqual(['task-1:A'])
    done('task-1')
    await new Promise((resolve) => setTimeout(resolve, 10))
    expect(seen).toEqual(['task-1:A', 'task-1 done', 'task-2:B'])
    done('task-2')
    await new Promise((resolve) => setTimeout(resolve, 10))
    expect(seen).toEqual(['task-1:A', 'task-1 done', 'task-2:B', 'task-2 done', 'task-3:C', 'task-3 done'])
  })
})
