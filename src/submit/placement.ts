// Placement: which waiting task goes to which node, now. A ready task goes to a node that meets its
// requirements and has room (free slots and its lock free, or a lease the node kept for us that fits
// it exactly), preferring nodes it has not failed on, then the one holding the most of its input
// bytes (locality.ts), then the least loaded. It may wait a little for a busy node of ours that holds
// more of them (locality-wait.ts); while the batch's tasks are short it may instead be queued behind a
// running task of ours (pipelining). Talks to nodes only through the scheduler's book of them
// (NodeSlots) and their TaskNode.
import type { ResolvedInput } from '../tasks/index.js'
import { anyFollowable } from './pipeline.js'
import { followAt, freeSlots, keptFor, load, refusal, type NodeSlots } from './node-slots.js'
import { unmetRequirement } from './requirements.js'
import type { LeaseSource } from './attempt.js'
import type { Locality } from './locality.js'
import { LocalityWaits, type LocalityHold } from './locality-wait.js'
import type { NameState } from './name-book.js'
import type { TaskQueue } from './task-queue.js'
import type { TaskNode } from './task-node.js'
import type { TaskRecord } from './task-record.js'

/** What placement needs of the scheduler. */
export interface Placer {
  readonly nodes: readonly NodeSlots[]
  /** The queue, in order; placement takes tasks out of it. */
  readonly waiting: TaskQueue
  pipelining(): boolean
  /** `-j N` tasks of the batch run already. */
  atJobLimit(): boolean
  /** Where the task called `name` stands (undefined: no such task, yet). */
  state(name: string): NameState | undefined
  /** The task will never run (a dependency did not succeed, or no node can run it). */
  finish(record: TaskRecord, status: 'skipped' | 'failed', reason: string): void
  launch(record: TaskRecord, node: NodeSlots, source: LeaseSource): void
  /** What nodes hold of whose inputs; placement follows it unless its `placement` is off. */
  readonly locality: Locality
  inputsOf(record: TaskRecord): readonly ResolvedInput[]
  /** Tasks were held for a node holding their inputs (undefined: none was): when to look again, and why. */
  holding(hold: LocalityHold | undefined): void
}

export function place(p: Placer): void {
  const live = p.nodes.filter((n) => n.client.connected)
  const ready = live.filter((n) => n.probed !== undefined)
  const probing = live.length > ready.length
  const unprobed = live.filter((n) => n.probed === undefined)
  const pipelining = p.pipelining()
  const followable = (n: NodeSlots): boolean => pipelining && !n.suspect && !n.contended && anyFollowable(n.open)
  const open = (n: NodeSlots): boolean => followable(n) || (!n.suspect && !n.refused && (freeSlots(n) > 0 || n.kept.length > 0))
  const { waiting } = p
  const states = (name: string): NameState | undefined => p.state(name)
  const free = ready.reduce((sum, n) => sum + Math.max(0, freeSlots(n)), 0)
  const waits = p.locality.placement ? new LocalityWaits(p.locality, Date.now(), free) : undefined
  for (let i = 0; i < waiting.length; i++) {
    // With every slot taken, the rest waits for the next pump: a 10,000-task queue is not rescanned per event.
    if (!probing && !ready.some(open)) break
    const record = waiting.at(i)
    // A task with the same inputs as one held in this pass would be held the same way: not weighed again.
    if (waits?.likeHeld(record)) continue
    if (p.atJobLimit() || waits?.lookedFarEnough()) break
    const task = record.spec
    const blocked = record.blockedBy(states)
    if (blocked === 'dependencies') continue
    if (blocked) {
      waiting.removeAt(i--)
      p.finish(record, 'skipped', blocked)
      continue
    }
    const fitting = ready.filter((n) => unmetRequirement(task, n.client.info, n.probed) === undefined)
    if (fitting.length === 0 && !probing && live.length > 0) {
      waiting.removeAt(i--)
      const why = live.map((n) => `${n.client.info.name}: ${unmetRequirement(task, n.client.info, n.probed)}`).join('; ')
      p.finish(record, 'failed', `no node can run it (${why})`)
      continue
    }
    if (!placeOne(p, record, fitting, followable, waits, unprobed)) continue
    waiting.removeAt(i--)
  }
  if (waits) {
    // A node still free finds the held tasks whose inputs it holds, however deep in the queue.
    for (const n of ready) {
      if (freeSlots(n) <= 0 || n.suspect || n.refused) continue
      for (const record of p.locality.wantedOn(n.client.info.id)) {
        if (freeSlots(n) <= 0 || p.atJobLimit()) break
        placeLater(p, record, ready, followable, waits)
      }
    }
    // Tasks passed over for later ones that their inputs' node runs, though waiting for it is not (or
    // no longer) worth it: each takes the free node whose wait is over. Only that one: another free
    // node has not waited yet (the end of a batch would otherwise send the same inputs to every idle
    // node at once). If that node was taken meanwhile, the task is weighed again against the nodes
    // still free: it waits for (or is deferred to) the best of them, once more. Among equal priorities,
    // the tasks whose inputs the most waiting tasks share go first: one transfer there lets the node share that many tasks
    // with their holder (the end of a batch otherwise sent one input per task a node took).
    for (let round = 0; round < 2 && waits.deferred.length > 0; round++)
      for (const { record, node } of waits.deferred
        .splice(0)
        .sort(
          (a, b) => b.record.spec.priority - a.record.spec.priority || p.locality.groupSize(b.record) - p.locality.groupSize(a.record),
        )) {
        if (!ready.some(open) || p.atJobLimit()) break
        const free = freeSlots(node) >= record.spec.slots && !node.suspect && !node.refused
        placeLater(p, record, free ? [node] : ready, followable, waits, free)
      }
  }
  p.holding(waits?.end(ready))
}

// A task looked at again after the pass (it was held or deferred): placed if it still waits and can go
// now (`settled`: as it was weighed, without a new wait).
function placeLater(
  p: Placer,
  record: TaskRecord,
  ready: NodeSlots[],
  followable: (n: NodeSlots) => boolean,
  waits: LocalityWaits,
  settled = true,
): void {
  if (record.result !== undefined || record.running !== undefined || record.blockedBy((name) => p.state(name)) !== undefined) return
  const i = p.waiting.indexOf(record)
  if (i < 0) return
  const fitting = ready.filter((n) => unmetRequirement(record.spec, n.client.info, n.probed) === undefined)
  if (placeOne(p, record, fitting, followable, waits, [], settled)) p.waiting.removeAt(i)
}

// Launches `record` on the best node of `fitting` with room for it (or queued behind a running task),
// unless it waits for a busy node holding more of its inputs; false if it stays in the queue.
function placeOne(
  p: Placer,
  record: TaskRecord,
  fitting: NodeSlots[],
  followable: (n: NodeSlots) => boolean,
  waits: LocalityWaits | undefined,
  unprobed: readonly NodeSlots[],
  deferred = false,
): boolean {
  const task = record.spec
  const { tried } = record
  const inputs = waits ? p.inputsOf(record) : NO_INPUTS
  // A task with no inputs weighs nothing anywhere: no weights to hold (the common short task).
  const weight = inputs.length > 0 ? p.locality.weigh(inputs) : undefined
  const held = weight ? new Map(fitting.map((n) => [n, weight(n.client.info.id)])) : undefined
  const heldOn = held ? (n: NodeSlots): number => held.get(n) ?? 0 : nothingHeld
  // The first of the nodes with room for it, in this order: not failed on, most of its inputs, least loaded.
  let node: NodeSlots | undefined
  for (const n of fitting)
    if (
      fits(n, task) &&
      (node === undefined ||
        (Number(tried.has(n.client)) - Number(tried.has(node.client)) || heldOn(node) - heldOn(n) || load(n) - load(node)) < 0)
    )
      node = n
  if (node && !deferred && waits?.hold(record, node, fitting, heldOn)) {
    p.locality.want(record, inputs)
    return false
  }
  // A node still answering its probe (a round trip) that holds more of the inputs is worth that wait.
  if (node && weight && unprobed.some((n) => weight(n.client.info.id) > heldOn(node))) return false
  if (!node) {
    const behind = task.lock === undefined ? followAt(followableOf(fitting, followable, tried, held), task) : undefined
    if (!behind) return false
    // Queued behind a task elsewhere than on the busy node holding its inputs gains no slot, only a
    // transfer: it waits (a deferred task too: it was deferred for a free node, not for this lease).
    if (waits?.holdBehind(record, behind.node, fitting, heldOn)) {
      p.locality.want(record, inputs)
      return false
    }
    waits?.launched(behind.node, inputs)
    p.locality.unwant(record)
    p.launch(record, behind.node, { behind: behind.open })
    return true
  }
  const k = keptFor(node, task)
  const kept = k >= 0 ? node.kept.splice(k, 1)[0]?.lease : undefined
  waits?.launched(node, inputs)
  p.locality.unwant(record)
  p.launch(record, node, kept === undefined ? undefined : { kept })
  return true
}

// The nodes of `fitting` where the task may be queued behind a running one, most of its inputs first.
function followableOf(
  fitting: NodeSlots[],
  followable: (n: NodeSlots) => boolean,
  tried: ReadonlySet<TaskNode>,
  held: Map<NodeSlots, number> | undefined,
): NodeSlots[] {
  const nodes = fitting.filter((n) => followable(n) && !tried.has(n.client))
  return held ? nodes.sort((a, b) => (held.get(b) ?? 0) - (held.get(a) ?? 0)) : nodes
}

const NO_INPUTS: readonly ResolvedInput[] = []
const nothingHeld = (): number => 0

// `n` has room for `task` now: a lease it kept that fits, or free slots (and its lock free).
function fits(n: NodeSlots, task: TaskRecord['spec']): boolean {
  return (
    !n.suspect &&
    ((n.claimed === 0 && keptFor(n, task) >= 0) ||
      (!n.refused && freeSlots(n) >= task.slots && (task.lock === undefined || !n.locks.has(task.lock))))
  )
}

/** Gives back every lease the nodes kept for us that no task took (but those claimed: see NodeSlots.claimed); true if there was any. */
export function releaseKept(nodes: readonly NodeSlots[]): boolean {
  let released = false
  for (const n of nodes)
    if (n.claimed === 0)
      for (const { lease } of n.kept.splice(0)) {
        released = true
        if (n.client.connected) n.client.release(lease)
      }
  return released
}

// What a batch that runs nothing waits for: "alpha: paused: outside hours 19:00-07:00; beta: busy with
// other submitters (1 slot(s) asked, 0 free); 10.0.0.7:7420: unreachable, dialled again (--reconnect)".
export function waitReason(nodes: readonly NodeSlots[], dialling: Iterable<string>): string {
  const parts: string[] = []
  for (const n of nodes) {
    if (!n.client.connected) continue
    const name = n.client.info.name
    if (n.suspect) parts.push(`${name}: not heard on the LAN, asked over its connection`)
    else if (n.refused) parts.push(`${name}: ${refusal(n.client.lastRefusal)}`)
  }
  parts.push(...dialling)
  return parts.length > 0 ? parts.join('; ') : 'a node with room for the next task'
}
