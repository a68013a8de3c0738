// Placement: which waiting task goes to which node, now. A ready task goes to a node that meets its
// requirements and has room (free slots and its lock free, or a lease the node kept for us that fits
// it exactly), preferring nodes it has not failed on, then the least loaded; while the batch's tasks
// are short it may instead be queued behind a running task of ours (pipelining). Talks to nodes only
// through the scheduler's book of them (NodeSlots) and their TaskNode.
import { anyFollowable } from './pipeline.js'
import { followAt, freeSlots, keptFor, load, refusal, type NodeSlots } from './node-slots.js'
import { unmetRequirement } from './requirements.js'
import type { LeaseSource } from './attempt.js'
import type { TaskResult } from './result.js'
import type { TaskRecord } from './task-record.js'

/** What placement needs of the scheduler. */
export interface Placer {
  readonly nodes: readonly NodeSlots[]
  /** The queue, in order; placement takes tasks out of it. */
  readonly waiting: TaskRecord[]
  pipelining(): boolean
  /** `-j N` tasks of the batch run already. */
  atJobLimit(): boolean
  result(name: string): TaskResult | undefined
  /** The task will never run (a dependency did not succeed, or no node can run it). */
  finish(record: TaskRecord, status: 'skipped' | 'failed', reason: string): void
  launch(record: TaskRecord, node: NodeSlots, source: LeaseSource): void
}

export function place(p: Placer): void {
  const live = p.nodes.filter((n) => n.client.connected)
  const ready = live.filter((n) => n.probed !== undefined)
  const probing = live.length > ready.length
  const pipelining = p.pipelining()
  const followable = (n: NodeSlots): boolean => pipelining && !n.suspect && !n.contended && anyFollowable(n.open)
  const open = (n: NodeSlots): boolean => followable(n) || (!n.suspect && !n.refused && (freeSlots(n) > 0 || n.kept.length > 0))
  const { waiting } = p
  for (let i = 0; i < waiting.length; i++) {
    // With every slot taken, the rest waits for the next pump: a 10,000-task queue is not rescanned per event.
    if (!probing && !ready.some(open)) break
    if (p.atJobLimit()) break
    const record = waiting[i] as TaskRecord
    const task = record.spec
    const blocked = record.blockedBy((name) => p.result(name))
    if (blocked === 'dependencies') continue
    if (blocked) {
      waiting.splice(i--, 1)
      p.finish(record, 'skipped', blocked)
      continue
    }
    const fitting = ready.filter((n) => unmetRequirement(task, n.client.info, n.probed) === undefined)
    if (fitting.length === 0 && !probing && live.length > 0) {
      waiting.splice(i--, 1)
      const why = live.map((n) => `${n.client.info.name}: ${unmetRequirement(task, n.client.info, n.probed)}`).join('; ')
      p.finish(record, 'failed', `no node can run it (${why})`)
      continue
    }
    const { tried } = record
    const fits = (n: NodeSlots): boolean =>
      !n.suspect &&
      (keptFor(n, task) >= 0 || (!n.refused && freeSlots(n) >= task.slots && (task.lock === undefined || !n.locks.has(task.lock))))
    const node = fitting.filter(fits).sort((a, b) => Number(tried.has(a.client)) - Number(tried.has(b.client)) || load(a) - load(b))[0]
    if (!node) {
      const behind =
        task.lock === undefined
          ? followAt(
              fitting.filter((n) => followable(n) && !tried.has(n.client)),
              task,
            )
          : undefined
      if (behind) {
        waiting.splice(i--, 1)
        p.launch(record, behind.node, { behind: behind.open })
      }
      continue
    }
    waiting.splice(i--, 1)
    const k = keptFor(node, task)
    const kept = k >= 0 ? node.kept.splice(k, 1)[0]?.lease : undefined
    p.launch(record, node, kept === undefined ? undefined : { kept })
  }
}

/** Gives back every lease the nodes kept for us that no task took; true if there was any. */
export function releaseKept(nodes: readonly NodeSlots[]): boolean {
  let released = false
  for (const n of nodes)
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
