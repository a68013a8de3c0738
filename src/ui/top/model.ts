// What `distw top` knows, kept outside React: one entry per node with its latest state. Updates only
// touch this model; the view (rows, totals) is derived from it at most a few times a second.
import type { NodeInfo } from '../../protocol/index.js'
import type { NodeStateMessage } from '../../client/watch-client.js'
import { mergeQueues, type QueueReports } from '../../watch/batches.js'

export type NodeStatus = 'connecting' | 'idle' | 'busy' | 'draining' | 'lost'

export interface NodeEntry {
  key: string
  address: string
  state: NodeStateMessage | undefined
  /** Local time the state arrived (performance.now()). */
  receivedAt: number
  lost: string | undefined
}

export interface NodeRow {
  key: string
  name: string
  address: string
  platform: string
  tags: string[]
  slotsUsed: number
  slots: number
  /** Runs waiting behind running ones on the node (pipelining). */
  queued: number
  load: number | undefined
  /** Bytes in the node's blob cache, when it says. */
  cacheBytes: number | undefined
  running: number
  status: NodeStatus
  /** Why the node is lost or draining, when it is. */
  reason: string | undefined
}

export interface TaskRow {
  /** Unique across nodes: `nodeKey/taskId`. */
  key: string
  nodeKey: string
  id: string
  name: string
  node: string
  client: string
  elapsedMs: number
  percent: number | null
  text: string
  mine: boolean
  command: string
  tail: string
  /** Waiting for its node's owner to approve its program (daemon --approve): `a`/`d` answer. */
  held: { digest: string; program: string } | undefined
  /** Not on a node: its submitter holds it back until these dependencies (and `more` others) succeed. */
  waiting: { after: string[]; more: number } | undefined
}

export interface Totals {
  nodes: number
  nodesUp: number
  slotsUsed: number
  slots: number
  running: number
  /** Tasks submitters hold back for their dependencies (each batch counted once, whatever nodes told it). */
  waiting: number
  finished: number
  failed: number
}

export interface TopView {
  nodes: NodeRow[]
  tasks: TaskRow[]
  totals: Totals
}

export class TopModel {
  readonly nodes = new Map<string, NodeEntry>()
  /** Bumped on every change; the hook re-renders only when it moved (or for the clock). */
  version = 0

  added(key: string, address: string): void {
    if (this.nodes.has(key)) return
    this.nodes.set(key, { key, address, state: undefined, receivedAt: 0, lost: undefined })
    this.version++
  }

  state(key: string, state: NodeStateMessage, receivedAt: number): void {
    const node = this.nodes.get(key)
    if (!node) return
    node.state = state
    node.receivedAt = receivedAt
    node.lost = undefined
    this.version++
  }

  lost(key: string, reason: string): void {
    const node = this.nodes.get(key)
    if (!node) return
    node.lost = reason
    this.version++
  }

  removed(key: string): void {
    if (this.nodes.delete(key)) this.version++
  }

  /** Rows and totals at local time `now`: nodes by name, tasks longest-running first, then those waiting. */
  view(now: number): TopView {
    const nodes: NodeRow[] = []
    const tasks: TaskRow[] = []
    const queues: QueueReports[] = []
    const totals: Totals = { nodes: 0, nodesUp: 0, slotsUsed: 0, slots: 0, running: 0, waiting: 0, finished: 0, failed: 0 }
    for (const n of this.nodes.values()) {
      const s = n.state
      const info: NodeInfo | undefined = s?.node
      const status: NodeStatus = n.lost ? 'lost' : s ? s.state : 'connecting'
      totals.nodes++
      if (s) {
        totals.finished += s.succeeded + s.failed
        totals.failed += s.failed
      }
      const live = s !== undefined && !n.lost
      if (live) {
        totals.nodesUp++
        totals.slotsUsed += s.slotsUsed
        totals.slots += s.node.slots
        totals.running += s.running.length
        const since = Math.max(0, now - n.receivedAt)
        queues.push({ node: s.node.name, queues: s.queues, sinceMs: since })
        for (const t of s.running) {
          tasks.push({
            key: `${n.key}/${t.id}`,
            nodeKey: n.key,
            id: t.id,
            name: t.name,
            node: s.node.name,
            client: t.client,
            elapsedMs: t.elapsedMs + since,
            percent: t.percent,
            text: t.text,
            mine: t.mine,
            command: t.command,
            tail: t.tail,
            held: t.held && { digest: t.held.digest, program: t.held.program },
            waiting: undefined,
          })
        }
      }
      nodes.push({
        key: n.key,
        name: info?.name ?? n.address,
        address: n.address,
        platform: info ? `${info.os}/${info.arch}` : '',
        tags: info?.tags ?? [],
        slotsUsed: live ? s.slotsUsed : 0,
        slots: info?.slots ?? 0,
        queued: live ? (s.queued ?? 0) : 0,
        load: live ? s.load : undefined,
        cacheBytes: live ? s.cache?.usedBytes : undefined,
        running: live ? s.running.length : 0,
        status,
        reason: n.lost ?? s?.pauseReason,
      })
    }
    nodes.sort((a, b) => a.name.localeCompare(b.name) || a.address.localeCompare(b.address))
    tasks.sort((a, b) => b.elapsedMs - a.elapsedMs || a.key.localeCompare(b.key))
    for (const batch of mergeQueues(queues)) {
      totals.waiting += batch.waiting
      for (const t of batch.tasks) tasks.push(waitingRow(batch.client, batch.batch, batch.mine, t))
    }
    return { nodes, tasks, totals }
  }
}

// A task its submitter holds back: it has no node, no id there and no time run yet.
function waitingRow(client: string, batch: string, mine: boolean, t: { name: string; after: string[]; more: number }): TaskRow {
  return {
    key: `waiting/${client}/${batch}/${t.name}`,
    nodeKey: '',
    id: '',
    name: t.name,
    node: '',
    client,
    elapsedMs: 0,
    percent: null,
    text: '',
    mine,
    command: '',
    tail: '',
    held: undefined,
    waiting: { after: t.after, more: t.more },
  }
}

/** Tasks finished per second over the samples' time span (samples: [time ms, finished count]). */
export function throughput(samples: [number, number][]): number {
  const first = samples[0]
  const last = samples[samples.length - 1]
  if (!first || !last || last[0] - first[0] < 500) return 0
  return Math.max(0, (last[1] - first[1]) / ((last[0] - first[0]) / 1000))
}
