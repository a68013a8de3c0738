// The scheduler's side of a stream of task lines (intake.ts feeds it): tasks queued as their lines are
// read, bad lines said and counted, what the end of the input decides, and backpressure. A batch read
// whole is queued through it too, at once. Kept apart from scheduler.ts, which places and judges.
import type { TaskSpec } from '../tasks/index.js'
import type { IntakeTarget, QueuedTask } from './intake.js'
import type { NameBook } from './name-book.js'
import type { SubmitObserver } from './result.js'
import { danglingAfter } from './stream-end.js'
import type { StreamGate } from './stream-gate.js'
import type { TaskBooks } from './task-books.js'
import type { TaskRecord } from './task-record.js'

/** What the intake asks of the scheduler. */
export interface IntakeHooks {
  /** False once the batch was cancelled or halted: tasks read before are not run. */
  running(): boolean
  /** A node may need to be asked about the task's tools or env. */
  asked(task: TaskSpec): void
  /** Into the queue (and the books of late inputs and locality). */
  queue(record: TaskRecord): void
  /** It succeeded in an earlier run (--resume): recorded as such. */
  resumed(record: TaskRecord): void
  /** Out of the queue, failed with `message`. */
  fail(record: TaskRecord, message: string): void
  /** A bad line counts as a failure for --halt. */
  failure(): void
  pump(): void
}

export class SchedulerIntake implements IntakeTarget {
  constructor(
    private readonly books: TaskBooks,
    private readonly input: StreamGate,
    private readonly observer: SubmitObserver,
    /** Where the lines come from, for `source:line:` messages; undefined for a batch read whole. */
    private readonly stream: { source: string } | undefined,
    private readonly hooks: IntakeHooks,
  ) {}

  get names(): NameBook {
    return this.books.names
  }

  /** False once the batch takes no more tasks: a stream that ended, or a batch cancelled or halted. */
  get accepting(): boolean {
    return this.input.open
  }

  /**
   * Queues tasks (a stream's, as their lines are read; their names claimed in `names` and their inputs
   * in `plan.inputs` already). `done`: it succeeded in an earlier run (--resume), and is only reported.
   */
  add(tasks: readonly QueuedTask[]): void {
    if (!this.hooks.running()) return
    for (const { task, done, inputs } of tasks) {
      const record = this.books.open(task, inputs)
      this.hooks.asked(task)
      // A stream says every task it read, so -k knows its place in the order.
      if (!done || this.stream) this.observer.taskQueued?.(task)
      if (done) this.hooks.resumed(record)
      else this.hooks.queue(record)
    }
    this.hooks.pump()
  }

  /** A bad line of a stream: said at once, never run, counted (the exit code says so; --halt counts it). */
  reject(line: number, name: string | undefined, message: string): void {
    if (name !== undefined && this.names.get(name) === undefined) this.names.set(name, line, 'rejected')
    this.books.tally.rejected++
    this.observer.lineRejected?.({ source: this.source, line, message })
    this.hooks.failure()
  }

  /**
   * A stream ended: every task that waits for a name no line had, or for a cycle of tasks, fails (and
   * its line is reported); the batch ends once the rest has run.
   */
  endInput(): void {
    if (!this.input.open) return
    this.input.close()
    // The line was queued as a task, so that task fails (its dependents are skipped) and is counted as
    // one failure for --halt; the line is said once, as a bad line, with the task's name.
    for (const { record, message } of danglingAfter(this.books.dependents(), (name) => this.names.get(name))) {
      this.books.tally.rejected++
      this.observer.lineRejected?.({ source: this.source, line: record.spec.line, message, task: record.spec.name })
      this.hooks.fail(record, message)
    }
    this.hooks.pump()
  }

  private get source(): string {
    return this.stream?.source ?? 'tasks'
  }

  /** Resolves when a stream may read on: the queue of tasks that could start now is short enough. */
  roomForMore(): Promise<void> {
    return this.input.roomForMore()
  }
}
