// What a Scheduler is given: the batch's tasks with their resolved inputs, where files go, and the
// batch-wide limits. Its own file so that the scheduler's parts (late-inputs.ts) can name it without
// importing the scheduler.
import type { ResolvedInput, TaskSpec } from '../tasks/index.js'
import type { HashCache } from '../transfer/hash.js'
import type { Locality } from './locality.js'

export interface ScheduleOptions {
  /** The tasks known at the start (all of them, unless `stream`). */
  tasks: TaskSpec[]
  /**
   * More tasks come through Scheduler.add() until endInput(): the batch does not end while the queue
   * is empty, and only the results of tasks that did not succeed are kept (see tally.ts).
   */
  stream?: boolean
  /** Where the tasks come from, for messages about a line (`<stdin>:7: …`). */
  source?: string
  inputs: Map<string, ResolvedInput[]>
  /** Where returned files are written: `dest` itself, or `dest/<task name>/` with perTaskFolders. */
  dest: string
  perTaskFolders: boolean
  /** Tasks that already succeeded in an earlier run (--resume): reported as such, not run. */
  done?: ReadonlySet<string>
  /** Stop after this many failures: `soon` lets running tasks finish, `now` cancels them. */
  halt?: HaltPolicy
  /** Shared with whoever hashed the inputs before (task digests), so no file is hashed twice. */
  hashes?: HashCache
  /** What nodes hold, and whether placement follows it (default: learnt for this batch only, followed). Shares `hashes`. */
  locality?: Locality
  /** false: never queue a task behind a running one (see PIPELINE_BELOW_MS). Default true. */
  pipeline?: boolean
  /** `-j N`: at most this many tasks of the batch launched at once, across every node. */
  jobs?: number
  /** The folder inputs are relative to (default `dest`). */
  cwd?: string
  /**
   * A task with `after` had its inputs resolved (they are in `inputs` now): true if it already
   * succeeded in an earlier run with these inputs (--resume), and is not run again.
   */
  lateResolved?: (task: TaskSpec, inputs: ResolvedInput[]) => Promise<boolean>
}

export interface HaltPolicy {
  when: 'now' | 'soon'
  /** What is counted: failed tasks, succeeded ones, or both. */
  on: 'fail' | 'success' | 'done'
  count: number
}
