// The scheduler's book of one node of the batch: what of its slots our tasks hold, the leases it kept
// for us, the leases a task may be queued behind, and what it last said (refused, probed, suspect).
import type { TaskSpec } from '../tasks/index.js'
import { followableLease, type OpenLease } from './pipeline.js'
import type { ProbeAnswers } from './requirements.js'
import type { TaskNode } from './task-node.js'

export interface KeptLease {
  lease: string
  slots: number
  lock: string | undefined
}

export interface NodeSlots {
  client: TaskNode
  /** Slots our running attempts hold there. */
  inflight: number
  refused: boolean
  /** Counts `free` notices: a refusal answered by a notice that already arrived must not stick. */
  freeNotices: number
  locks: Set<string>
  /** Undefined until the node has answered the probe. */
  probed: ProbeAnswers | undefined
  /** Discovery stopped hearing it: no new task until it answers over its connection (see suspectNode). */
  suspect: boolean
  /** Leases the node kept for us after a task ended (claim reuse): the next pump uses or releases them. */
  kept: KeptLease[]
  /** Leases running a task of ours that asked to keep them, with no task queued behind yet (pipelining). */
  open: OpenLease[]
  /** The node's last answer to `keep` was no (another submitter waits, or its policy pauses it): a
   *  task queued behind a lease there would only be refused, so none is until a lease is kept again. */
  contended: boolean
  /** Slots kept for dependents of a task that ended here while their inputs are resolved (they likely run here). */
  claimed: number
  /** Since when a free slot here was left for tasks waiting for a node holding their inputs (locality-wait.ts). */
  passedOver: number | undefined
}

export const nodeSlots = (client: TaskNode): NodeSlots => ({
  client,
  inflight: 0,
  refused: false,
  freeNotices: 0,
  locks: new Set(),
  probed: undefined,
  suspect: false,
  kept: [],
  open: [],
  contended: false,
  passedOver: undefined,
  claimed: 0,
})

/** Slots we could still reserve on `n`: its total less what runs there, what it keeps for us and what is claimed. */
export function freeSlots(n: NodeSlots): number {
  // A claimed slot is often the very lease the node kept after the task that freed it: counted once.
  return (
    n.client.info.slots -
    n.inflight -
    Math.max(
      n.claimed,
      n.kept.reduce((sum, k) => sum + k.slots, 0),
    )
  )
}

export function load(n: NodeSlots): number {
  return n.inflight / n.client.info.slots
}

/** Index of a lease `n` kept that fits `task` exactly (same slots, same lock), or -1. */
export function keptFor(n: NodeSlots, task: TaskSpec): number {
  return n.kept.findIndex((k) => k.slots === task.slots && k.lock === task.lock)
}

/** A lease on one of `nodes` that `task` can be queued behind: same slot count, nothing queued yet. */
export function followAt(nodes: NodeSlots[], task: TaskSpec): { node: NodeSlots; open: OpenLease } | undefined {
  for (const node of nodes) {
    const open = followableLease(node.open, task.slots)
    if (open) return { node, open }
  }
  return undefined
}

/** Takes `task`'s slots (and lock) on `n` for an attempt; `free` gives them back. */
export function hold(n: NodeSlots, task: TaskSpec): void {
  n.inflight += task.slots
  if (task.lock !== undefined) n.locks.add(task.lock)
}

export function free(n: NodeSlots, task: TaskSpec): void {
  n.inflight -= task.slots
  if (task.lock !== undefined) n.locks.delete(task.lock)
}

// A node's refusal in the words of one waiting for it: a pause says why; anything else means others
// hold its slots (we run nothing there when this is asked).
export function refusal(reason: string | undefined): string {
  if (reason?.startsWith('paused')) return reason
  return `busy with other submitters${reason === undefined ? '' : ` (${reason})`}`
}
