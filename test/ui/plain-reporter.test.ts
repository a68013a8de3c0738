// A retried task's output: half a line held from a cut attempt is written when the next attempt
// starts, on a line of its own, not joined with what the next attempt prints.
import { describe, expect, it } from 'vitest'
import type { TaskResult } from '../../src/submit/result.js'
import type { TaskSpec } from '../../src/tasks/index.js'
import { plainReporter } from '../../src/ui/plain-reporter.js'

const task = { name: 't', line: 1 } as TaskSpec
const node = { name: 'box', id: 'n1', slots: 1 } as never

describe('plainReporter', () => {
  it('ends a cut attempt’s partial line before the next attempt’s output', () => {
    const out: string[] = []
    const r = plainReporter({ out: (text) => void out.push(text), err: () => true })
    r.taskStarted?.(task, node, 1)
    void r.taskOutput?.(task, 'stdout', Buffer.from('half'))
    r.taskStarted?.(task, node, 2)
    void r.taskOutput?.(task, 'stdout', Buffer.from('whole\n'))
    r.taskFinished?.({ name: 't', status: 'succeeded', skipped: [], attempts: 2 } as unknown as TaskResult)
    expect(out.join('')).toBe('[t] half\n[t] whole\n')
  })
})
