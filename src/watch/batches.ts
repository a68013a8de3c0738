// The batches submitters hold back, from what nodes report (`state.queues`): a submitter tells every
// node it uses, so a batch is counted once, by client and batch id, from its youngest report.
import type { SubmitterQueue, WaitingTask } from '../protocol/index.js'
import type { NodeSnapshot } from './snapshot.js'

/** A task that waits in its submitter for its dependencies: on no node yet. */
export interface WaitingTaskView extends WaitingTask {
  state: 'waiting'
}

export interface WaitingBatch {
  client: string
  batch: string
  /** Submitted under this monitor's own client name. */
  mine: boolean
  /** The nodes that reported it (its submitter holds a session with each). */
  nodes: string[]
  /** Tasks waiting for their dependencies: `tasks` names the first of them. */
  waiting: number
  /** Tasks ready to start, not started yet. */
  ready: number
  tasks: WaitingTaskView[]
}

/** One node's report: its name, its queues, and how long ago its state arrived (added to their age). */
export interface QueueReports {
  node: string
  queues: readonly SubmitterQueue[] | undefined
  sinceMs?: number
}

export function mergeQueues(reports: Iterable<QueueReports>): WaitingBatch[] {
  const batches = new Map<string, { youngest: SubmitterQueue; ageMs: number; nodes: string[] }>()
  for (const { node, queues, sinceMs = 0 } of reports)
    for (const queue of queues ?? []) {
      const key = `${queue.client}\0${queue.batch}`
      const ageMs = queue.ageMs + sinceMs
      const seen = batches.get(key)
      if (!seen) batches.set(key, { youngest: queue, ageMs, nodes: [node] })
      else {
        seen.nodes.push(node)
        if (ageMs < seen.ageMs) Object.assign(seen, { youngest: queue, ageMs })
      }
    }
  return [...batches.values()].map(({ youngest: q, nodes }) => ({
    client: q.client,
    batch: q.batch,
    mine: q.mine,
    nodes,
    waiting: q.waiting,
    ready: q.ready,
    tasks: q.tasks.map((t) => ({ ...t, state: 'waiting' as const })),
  }))
}

/** The batches the reachable nodes of a `distw status` report. */
export function batchesOf(nodes: readonly NodeSnapshot[]): WaitingBatch[] {
  return mergeQueues(nodes.flatMap((n) => (n.reachable ? [{ node: n.state.node.name, queues: n.state.queues }] : [])))
}
