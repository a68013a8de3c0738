// `distw submit --json` gives output bytes as UTF-8 text: a character that a chunk boundary cuts in
// two must arrive whole, and bytes left of one when the task ends must not be lost.
import { describe, expect, it } from 'vitest'
import type { TaskResult } from '../../src/submit/result.js'
import type { TaskSpec } from '../../src/tasks/index.js'
import { jsonReporter } from '../../src/ui/json-reporter.js'

const task = { name: 'snow', line: 1 } as TaskSpec
const node = { name: 'box', id: 'n1', slots: 1 } as never

function outputOf(lines: string[]): string {
  return lines
    .map((l) => JSON.parse(l) as { event: string; data?: string })
    .filter((e) => e.event === 'task-output')
    .map((e) => e.data)
    .join('')
}

describe('jsonReporter', () => {
  it('sends a character split across chunks whole', () => {
    const lines: string[] = []
    const r = jsonReporter((line) => void lines.push(line))
    const snow = Buffer.from('a☃b\n')
    r.taskStarted?.(task, node, 1)
    void r.taskOutput?.(task, 'stdout', snow.subarray(0, 2))
    void r.taskOutput?.(task, 'stdout', snow.subarray(2))
    r.taskFinished?.({ name: 'snow', status: 'succeeded' } as TaskResult)
    expect(outputOf(lines)).toBe('a☃b\n')
    expect(lines.every((l) => !l.includes('\\ufffd') && !l.includes('�'))).toBe(true)
  })

  it('sends what is left of a cut character when the task ends, before task-finished', () => {
    const lines: string[] = []
    const r = jsonReporter((line) => void lines.push(line))
    r.taskStarted?.(task, node, 1)
    void r.taskOutput?.(task, 'stderr', Buffer.from('☃').subarray(0, 1))
    r.taskFinished?.({ name: 'snow', status: 'failed' } as TaskResult)
    const events = lines.map((l) => JSON.parse(l) as { event: string; stream?: string; data?: string })
    expect(events.map((e) => e.event)).toEqual(['task-started', 'task-output', 'task-finished'])
    expect(events[1]).toMatchObject({ stream: 'stderr', data: '\ufffd' })
  })
})
