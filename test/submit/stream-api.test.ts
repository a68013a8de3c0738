// The library takes a stream of tasks: an async iterable of task lines (strings) or task objects, run
// as they come on an embedded node; the BatchResult counts every task and keeps only the failures.
import fs from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { submit } from '../../src/submit/submit.js'
import type { LineProblem } from '../../src/submit/result.js'
import { parseTasks } from '../../src/tasks/index.js'
import { tempDir } from '../helpers/cli.js'

describe('submit() with tasks as an async iterable', { timeout: 60_000 }, () => {
  it('runs lines and task objects as they come; bad lines are reported, not run', async () => {
    const cwd = await tempDir()
    const finished: string[] = []
    const rejected: LineProblem[] = []
    async function* tasks() {
      yield 'echo a > a.txt\n{"name":"up","run":"exit 3"}\n'
      // Yielded only once `up` has ended: the batch ran it without waiting for the end of the stream.
      while (!finished.includes('up')) await new Promise((resolve) => setTimeout(resolve, 20))
      yield '{"run":'
      const [object] = parseTasks('{"name":"obj","run":"cat a.txt > b.txt"}', 'x')
      if (object) yield { ...object, line: 4, after: ['task-1'] }
    }
    const batch = await submit({
      tasks: tasks(),
      cwd,
      localSlots: 1,
      observer: { taskFinished: (r) => finished.push(r.name), lineRejected: (p) => rejected.push(p) },
    })
    expect(rejected).toEqual([{ source: 'tasks', line: 3, message: expect.stringContaining('invalid JSON') as string }])
    expect(batch.ok).toBe(false)
    expect(batch.counts).toEqual({ succeeded: 2, failed: 1, skipped: 0, cancelled: 0 })
    expect(batch.rejected).toBe(1)
    expect(batch.results.map((r) => r.name)).toEqual(['up'])
    expect(await fs.readFile(path.join(cwd, 'b.txt'), 'utf8')).toBe('a\n')
  })
})
