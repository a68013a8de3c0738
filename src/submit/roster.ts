// The batch's nodes: they join (also mid-batch, by discovery) and are asked what its tasks require
// (probes.ts); one discovery stops hearing is suspect until it answers over its connection; one lost
// may be dialled again (expected); one that refused is asked again when it says slots came free, or
// after REFUSAL_FALLBACK_MS. Placement reads `nodes`; `changed` is called when a node may take a task.
import type { TaskSpec } from '../tasks/index.js'
import { nodeSlots, type NodeSlots } from './node-slots.js'
import { waitReason } from './placement.js'
import { Probes } from './probes.js'
import type { SubmitObserver } from './result.js'
import type { TaskNode } from './task-node.js'

/** A node that refused is asked again when it announces free slots, or after this long at the latest. */
const REFUSAL_FALLBACK_MS = 5_000

export class Roster {
  readonly nodes: NodeSlots[] = []
  /** Nodes being dialled (expect), by what the batch then waits for: while any is, waiting tasks wait. */
  private readonly expected = new Set<{ label: string }>()
  private readonly probes: Probes
  private wake: NodeJS.Timeout | undefined

  constructor(
    private readonly observer: SubmitObserver,
    /** The batch ended: connections closing now are not news. */
    private readonly over: () => boolean,
    private readonly changed: () => void,
  ) {
    this.probes = new Probes(changed)
  }

  /** Adds a node, also mid-batch (discovery). Its loss is handled by its attempts: their tasks are re-queued. */
  add(client: TaskNode): void {
    const node = nodeSlots(client)
    this.nodes.push(node)
    this.observer.nodeAdded?.(client.info, client.url)
    client.onFree(() => {
      node.freeNotices++
      node.refused = false
      this.changed()
    })
    client.onLost((reason) => {
      if (this.over()) return
      this.observer.nodeLost?.(client.info, reason)
      this.changed()
    })
    void this.probes.probe(node)
  }

  /**
   * Discovery stopped hearing `client`'s node. Discovery is a hint (one missed answer is enough), so
   * the node is not dropped: its running tasks carry on over their connection, which (with its
   * heartbeat) alone decides whether the node is lost. It only gets no new task until it answers a
   * probe over that connection: at once if it is merely quiet on UDP, never if it has vanished (its
   * heartbeat then ends it), so no new task is sent to a node that is gone.
   */
  suspect(client: TaskNode): void {
    const node = this.nodes.find((n) => n.client === client)
    if (!node || !client.connected) return
    node.suspect = true
    client.probe([], []).then(
      () => {
        node.suspect = false
        this.changed()
      },
      () => {}, // lost: its onLost has handled it
    )
  }

  /**
   * A lost node may come back: until the returned function is called, tasks that have no node left
   * wait for it instead of failing (the user is told they wait for `label`). Call it right when the
   * loss is reported, before any await.
   */
  expect(label: string): () => void {
    const entry = { label }
    this.expected.add(entry)
    return () => {
      if (this.expected.delete(entry)) this.changed()
    }
  }

  /** Adds what `task` asks of nodes; when that is new, every node is asked again. */
  ask(task: TaskSpec): void {
    this.probes.ask(task, this.nodes)
  }

  live(): NodeSlots[] {
    return this.nodes.filter((n) => n.client.connected)
  }

  /** No node is connected and none is dialled again: a waiting task has nowhere to run. */
  gone(live: readonly NodeSlots[]): boolean {
    return live.length === 0 && this.expected.size === 0
  }

  /** Why tasks wait while nothing runs, in words: refusals, suspects, nodes dialled again. */
  waitReason(): string {
    return waitReason(
      this.nodes,
      [...this.expected].map((e) => e.label),
    )
  }

  /** While tasks wait and a node refused, every refusal is forgotten after REFUSAL_FALLBACK_MS at the latest. */
  retryRefused(tasksWait: boolean, live: readonly NodeSlots[]): void {
    clearTimeout(this.wake)
    if (!tasksWait || !live.some((n) => n.refused)) return
    // Normally a `free` notice wakes us; this only guards against a node that never sends one.
    this.wake = setTimeout(() => {
      for (const n of this.nodes) n.refused = false
      this.changed()
    }, REFUSAL_FALLBACK_MS)
  }

  /** The batch ended: no timer is left. */
  stop(): void {
    clearTimeout(this.wake)
  }
}
