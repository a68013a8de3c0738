// The line `distw submit` ends with: counts in words a person reads ("1 task", "2 files"), and each task
// that did not succeed with its line, node and reason.
import { describe, expect, it } from 'vitest'
import type { TaskResult } from '../../src/submit/result.js'
import { summarize } from '../../src/ui/plain-reporter.js'

const result = (name: string, status: TaskResult['status'], files: string[] = [], reason?: string): TaskResult => ({
  name,
  line: 3,
  status,
  node: 'box',
  exitCode: status === 'succeeded' ? 0 : 1,
  signal: null,
  timedOut: false,
  durationMs: 5,
  attempts: 1,
  files,
  deleted: [],
  skipped: [],
  bytesUp: 0,
  bytesDown: 0,
  ...(reason === undefined ? {} : { reason }),
})

describe('the batch summary', () => {
  it('says "1 task" and "1 file", and plurals otherwise', () => {
    expect(summarize([result('a', 'succeeded', ['a.txt'])], 1234)).toBe('distw: 1 task: 1 succeeded, 0 failed; 1 file returned; 1.2s\n')
    expect(summarize([result('a', 'succeeded'), result('b', 'succeeded', ['x', 'y'])], 50)).toBe(
      'distw: 2 tasks: 2 succeeded, 0 failed; 2 files returned; 0.1s\n',
    )
  })

  it('names each task that did not succeed, with its line, node and reason', () => {
    const text = summarize([result('ok', 'succeeded'), result('bad', 'failed', [], 'exit code 1')], 10)
    expect(text).toBe('distw: 2 tasks: 1 succeeded, 1 failed; 0 files returned; 0.0s\n  failed: bad (line 3) on box: exit code 1\n')
  })

  it('says how many attempts a failed task had when it was retried', () => {
    const text = summarize([{ ...result('flaky', 'failed', [], 'exit code 1'), attempts: 3 }], 10)
    expect(text).toContain('  failed: flaky (line 3) on box: exit code 1, after 3 attempts\n')
  })
})
