// The results of a batch as it ends them: counters always; every result for a batch read whole (a
// file, a list), but for a stream only the first MAX_KEPT_RESULTS tasks that did not succeed, so that
// an endless stream keeps nothing of a finished task (its job log row and events have gone out).
import type { TaskSpec } from '../tasks/index.js'
import { wasResumed, type TaskResult, type TaskStatus } from './result.js'

/** A stream keeps at most this many results (of tasks that did not succeed) for its summary. */
export const MAX_KEPT_RESULTS = 1_000

export class Tally {
  readonly counts: Record<TaskStatus, number> = { succeeded: 0, failed: 0, skipped: 0, cancelled: 0 }
  /** Files returned, over every task. */
  files = 0
  /** Tasks not run again, as they succeeded before (--resume). */
  resumed = 0
  /** Lines that were bad (a stream): reported, never run. */
  rejected = 0
  /** Results of tasks that did not succeed and were not kept (a stream past MAX_KEPT_RESULTS). */
  omitted = 0
  private readonly byName = new Map<string, TaskResult>()
  private readonly kept: TaskResult[] = []

  constructor(private readonly keep: 'all' | 'failures') {}

  add(result: TaskResult): void {
    this.counts[result.status]++
    this.files += result.files.length
    if (wasResumed(result)) this.resumed++
    if (this.keep === 'all') this.byName.set(result.name, result)
    else if (result.status !== 'succeeded') {
      if (this.kept.length < MAX_KEPT_RESULTS) this.kept.push(result)
      else this.omitted++
    }
  }

  /** The kept results: every task's in the order of `tasks`, or a stream's in line order. */
  results(tasks: readonly TaskSpec[]): TaskResult[] {
    if (this.keep === 'all') return tasks.flatMap((t) => this.byName.get(t.name) ?? [])
    return [...this.kept].sort((a, b) => a.line - b.line)
  }
}
