// Delay scheduling (Spark's locality wait): a task may pass over a free node when a node that runs
// tasks of this batch (so a slot comes free there as one ends) holds more of its input bytes. First
// within one placement pass: it is deferred to the pass's end, so that later tasks whose inputs the
// free node holds take its slot first. Then in time: counted per free node, from the first time a
// free slot there was left for such a task, for at most as long as sending the difference would take
// (Locality.waitMs, never over LOCALITY_WAIT_MAX_MS); a launch there starts the count again. Every
// wait in time is said (Placer.holding): what waits, for which node, for how long at most.
import { formatSize, type ResolvedInput } from '../tasks/index.js'
import { LOCALITY_WAIT_MIN_MS, type Locality } from './locality.js'
import { freeSlots, type NodeSlots } from './node-slots.js'
import type { TaskRecord } from './task-record.js'

/**
 * Once a task is held, at most this many more are looked at in the same pass, plus LOOKAHEAD_PER_SLOT a
 * free slot (a long queue is not rescanned per event, yet a pass over idle nodes finds tasks for each).
 */
export const LOCALITY_LOOKAHEAD = 32
export const LOOKAHEAD_PER_SLOT = 8

/** Tasks held in one pass: when the first may go elsewhere, and why they wait. */
export interface LocalityHold {
  dueAt: number
  reason: string
}

/** One placement pass's waits. A pass per task or two on short tasks: its sets are made only when used. */
export class LocalityWaits {
  private passed: Set<NodeSlots> | undefined
  /** Nodes a task went to in this pass (few: an array). */
  private used: NodeSlots[] | undefined
  private first: { record: TaskRecord; home: NodeSlots; node: NodeSlots; bytes: number; waitMs: number } | undefined
  private held = 0
  private looked = 0
  private dueAt = Number.POSITIVE_INFINITY
  private readonly lookahead: number
  /**
   * Tasks passed over in this pass though a wait is not (or no longer) worth it: placed at its end on
   * the free node they were weighed for (`node`), whose wait is over, if it is still free.
   */
  readonly deferred: { record: TaskRecord; node: NodeSlots }[] = []

  constructor(
    private readonly locality: Locality,
    private readonly now: number,
    freeSlots: number,
  ) {
    this.lookahead = LOCALITY_LOOKAHEAD + LOOKAHEAD_PER_SLOT * freeSlots
  }

  /** The input groups (Locality.group) of the tasks held or deferred in this pass. */
  private heldGroups: Set<string> | undefined

  /** `record` has the same inputs as a task held or deferred in this pass. */
  likeHeld(record: TaskRecord): boolean {
    if (this.heldGroups === undefined) return false
    const group = this.locality.group(record)
    return group !== undefined && this.heldGroups.has(group)
  }

  /** `record` was held or deferred: tasks with the same inputs are passed over in this pass. */
  private heldAlike(record: TaskRecord): void {
    const group = this.locality.group(record)
    if (group !== undefined) (this.heldGroups ??= new Set()).add(group)
  }

  /** Tasks are held, and enough more were looked at since the first. */
  lookedFarEnough(): boolean {
    return (this.held > 0 || this.deferred.length > 0) && ++this.looked > this.lookahead
  }

  /**
   * Whether `record` should not go to `node` (free, the best of the free ones) now: true when a node of
   * `fitting` busy with our tasks holds more of its inputs. It then waits (for as long as sending them
   * would take), or, if that is not worth it, is deferred to the end of this pass (`deferred`).
   */
  hold(record: TaskRecord, node: NodeSlots, fitting: NodeSlots[], heldOn: (n: NodeSlots) => number): boolean {
    const here = heldOn(node)
    const { home, most } = this.home(record, node, fitting, heldOn)
    if (!home) return false
    const waitMs = this.locality.waitMs(most - here)
    const since = node.passedOver ?? this.now
    if (waitMs < LOCALITY_WAIT_MIN_MS || this.now - since >= waitMs) {
      this.deferred.push({ record, node })
      // Its count goes on if a later task takes the slot instead (end).
      this.pass(node)
      this.heldAlike(record)
      return true
    }
    this.pass(node)
    this.heldAlike(record)
    this.held++
    this.dueAt = Math.min(this.dueAt, since + waitMs)
    this.first ??= { record, home, node, bytes: most - here, waitMs: since + waitMs - this.now }
    return true
  }

  /**
   * Whether `record` should not be queued behind a running task on `node` (pipelining: no slot is free)
   * when a busy node holds more of its inputs. Not bounded in time: queued behind a task elsewhere, it
   * would gain no parallelism (that slot is busy too), only a transfer; it waits for the holder's next
   * lease, or for a slot to come free anywhere (then `hold` bounds the wait by the transfer time).
   * A difference not worth LOCALITY_WAIT_MIN_MS of sending is not waited for.
   */
  holdBehind(record: TaskRecord, node: NodeSlots, fitting: NodeSlots[], heldOn: (n: NodeSlots) => number): boolean {
    const { home, most } = this.home(record, node, fitting, heldOn)
    if (!home || this.locality.waitMs(most - heldOn(node)) < LOCALITY_WAIT_MIN_MS) return false
    this.heldAlike(record)
    this.held++
    return true
  }

  // The node of `fitting` other than `node`, busy with our tasks, holding the most of the task's inputs (more than `node`).
  private home(record: TaskRecord, node: NodeSlots, fitting: NodeSlots[], heldOn: (n: NodeSlots) => number) {
    let home: NodeSlots | undefined
    let most = heldOn(node)
    for (const n of fitting) {
      if (n === node || n.suspect || n.refused || n.inflight === 0 || record.tried.has(n.client)) continue
      const bytes = heldOn(n)
      if (bytes > most) {
        home = n
        most = bytes
      }
    }
    return { home, most }
  }

  /** A task goes to `node`: its inputs are on their way there. */
  launched(node: NodeSlots, inputs: readonly ResolvedInput[]): void {
    if (!(this.used ??= []).includes(node)) this.used.push(node)
    this.locality.launched(node.client.info.id, inputs)
  }

  private pass(node: NodeSlots): void {
    ;(this.passed ??= new Set()).add(node)
  }

  /** The pass is over: each node's count of passed-over time goes on, starts, or ends; what waits, if anything. */
  end(ready: readonly NodeSlots[]): LocalityHold | undefined {
    const { passed, used } = this
    for (const n of ready)
      n.passedOver = passed?.has(n) && freeSlots(n) > 0 ? (used?.includes(n) ? this.now : (n.passedOver ?? this.now)) : undefined
    const first = this.first
    if (!first) return undefined
    const more = this.held > 1 ? ` (and ${this.held - 1} more task(s) waiting for the node holding their inputs)` : ''
    const reason =
      `${first.record.spec.name} waits up to ${waitText(first.waitMs)} for ${first.home.client.info.name}, which holds ` +
      `${formatSize(first.bytes)} more of its inputs than ${first.node.client.info.name} (free now)${more}`
    return { dueAt: this.dueAt, reason }
  }
}

// 40 ms, 1.5 s.
function waitText(ms: number): string {
  return ms < 1000 ? `${Math.ceil(ms)} ms` : `${(ms / 1000).toFixed(1)} s`
}
