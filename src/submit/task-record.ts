// Everything the scheduler knows of one task of the batch, in one place: what it waits for, how many
// of its attempts counted, how often its node was lost under it, which nodes failed it, where it runs
// now, and its result once it has one.
import type { NodeInfo } from '../protocol/index.js'
import type { TaskSpec } from '../tasks/index.js'
import type { NameState } from './name-book.js'
import type { NodeSlots } from './node-slots.js'
import type { AttemptRecord, TaskResult } from './result.js'
import type { TaskNode } from './task-node.js'
import type { Outcome } from './verdict.js'

export class TaskRecord {
  /** Attempts that counted against the task (see verdict.ts); the next attempt is number attempts + 1. */
  attempts = 0
  /** How many times its node was lost (or lacked an input) while it ran. */
  lostRuns = 0
  /** Nodes it already failed on: a retry prefers another. */
  readonly tried = new Set<TaskNode>()
  /** The attempt under way: its node, and its token (the wire task id; results with another are stale). */
  running: { node: NodeSlots; token: string } | undefined
  result: TaskResult | undefined
  /**
   * A task with `after` has its inputs resolved once its dependencies succeeded (late-inputs.ts):
   * 'pending' until then, 'resolving' while they are looked for, undefined once known.
   */
  lateInputs: 'pending' | 'resolving' | undefined
  /** While its inputs are resolved, a slot its dependency freed on this node is kept for it (placement by locality). */
  claim: NodeSlots | undefined

  constructor(readonly spec: TaskSpec) {
    this.lateInputs = spec.after.length > 0 ? 'pending' : undefined
  }

  /**
   * What the task waits for before it may be placed: `after` tasks still pending or not read yet (a
   * stream), or its inputs being resolved after them ('dependencies'), a reason it never will (one of
   * them did not succeed), or undefined: only for a node.
   */
  blockedBy(states: (name: string) => NameState | undefined): 'dependencies' | string | undefined {
    for (const name of this.spec.after) {
      const state = states(name)
      if (state === undefined || state === 'pending') return 'dependencies'
      if (state === 'rejected') return `skipped because the line of ${name} was rejected`
      if (state !== 'succeeded') return `skipped because ${name} ${state}`
    }
    return this.lateInputs === undefined ? undefined : 'dependencies'
  }

  /** Records the task's result, once: whatever a stale attempt reports later is dropped. False if it had one. */
  finish(partial: Outcome): TaskResult | undefined {
    if (this.result) return undefined
    this.result = {
      name: this.spec.name,
      line: this.spec.line,
      exitCode: null,
      signal: null,
      timedOut: false,
      durationMs: 0,
      files: [],
      deleted: [],
      skipped: [],
      bytesUp: 0,
      bytesDown: 0,
      ...partial,
      attempts: this.attempts,
    }
    return this.result
  }
}

/** One attempt's row of the job log; a requeued attempt is `requeued`, with why. */
export function attemptRecord(
  task: TaskSpec,
  node: NodeInfo,
  attempt: number,
  startedAt: number,
  outcome: Outcome | undefined,
  requeued: string,
  bytesDown: number,
): AttemptRecord {
  const o: Omit<Outcome, 'status'> & Pick<AttemptRecord, 'status'> = outcome ?? { status: 'requeued', reason: requeued }
  return {
    task: task.name,
    line: task.line,
    attempt,
    node: node.name,
    startedAt,
    durationMs: Date.now() - startedAt,
    exitCode: o.exitCode ?? null,
    signal: o.signal ?? null,
    status: o.status,
    bytesUp: o.bytesUp ?? 0,
    bytesDown,
    reason: o.reason ?? '',
  }
}
