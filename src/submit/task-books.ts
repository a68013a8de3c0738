// The scheduler's books of a batch's tasks: a record of each task not finished, the state of every
// name (all that is left of a finished task, so a later `after` can still name it), and the counters
// and kept results (tally.ts). A finished task's record and inputs are dropped at once: an endless
// stream holds only what has not finished.
import type { ResolvedInput, TaskSpec } from '../tasks/index.js'
import { NameBook } from './name-book.js'
import type { TaskResult } from './result.js'
import { Tally } from './tally.js'
import { TaskRecord } from './task-record.js'

export class TaskBooks {
  readonly names = new NameBook()
  readonly tally: Tally
  private readonly records = new Map<string, TaskRecord>()

  constructor(
    stream: boolean,
    private readonly inputs: Map<string, ResolvedInput[]>,
  ) {
    this.tally = new Tally(stream ? 'failures' : 'all')
  }

  /** How many tasks have a record: those not finished. */
  get unfinished(): number {
    return this.records.size
  }

  /** A record for `task`; `inputs`: its resolved inputs, when they are not in the batch's map already. */
  open(task: TaskSpec, inputs?: ResolvedInput[]): TaskRecord {
    if (inputs) this.inputs.set(task.name, inputs)
    const record = new TaskRecord(task)
    this.records.set(task.name, record)
    return record
  }

  /** `record` ended with `result`: its name's state and the counters are all that stay (and its result, but in a stream). */
  close(record: TaskRecord, result: TaskResult): void {
    this.records.delete(result.name)
    this.inputs.delete(result.name)
    this.names.set(result.name, record.spec.line, result.status)
    this.tally.add(result)
  }

  /** The tasks still waiting for their `after` tasks. */
  dependents(): TaskRecord[] {
    return [...this.records.values()].filter((r) => r.lateInputs === 'pending' && !r.result)
  }
}
