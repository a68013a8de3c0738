// The nodes of one batch: those connected at the start, those discovery finds later, and those that
// come back after their connection was lost (a Wi-Fi blip, a daemon restarted at login). A node, by
// its daemon id, is in the batch at most once; a lost one is dialled again at its address, with
// backoff, for a while: until then the tasks that need it wait instead of failing.
import { setTimeout as sleep } from 'node:timers/promises'
import type { DiscoveredNode } from '../discovery/discovery.js'
import type { NodeClient } from '../client/node-client.js'
import type { Scheduler } from './scheduler.js'

export interface BatchNodesOptions {
  /** Dials a node; the signal aborts when the batch ends. */
  connect: (url: string, signal: AbortSignal) => Promise<NodeClient>
  /** How long a lost node is dialled again; 0: never. */
  reconnectMs: number
  warn: (message: string) => void
}

/** Reconnection waits: the first, doubled after each failed try up to the last, each ±20% so that
 * the submitters of one office do not all dial a returning node in the same millisecond. */
const FIRST_RETRY_MS = 100
const MAX_RETRY_MS = 5_000

export class BatchNodes {
  /** Every client this batch opened; all are closed at its end. */
  private readonly clients: NodeClient[] = []
  /** Daemon ids discovery is connecting to right now. */
  private readonly dialling = new Set<string>()
  private readonly stop = new AbortController()
  private joined: () => void = () => {}
  /** Resolves when the first node joins (or the batch stops). */
  readonly firstJoined = new Promise<void>((resolve) => (this.joined = resolve))

  constructor(
    private readonly scheduler: Scheduler,
    private readonly options: BatchNodesOptions,
  ) {}

  get size(): number {
    return this.clients.length
  }

  /** Takes a connected client into the batch, unless the batch is over or its node is in it already. */
  admit(client: NodeClient): void {
    const unwanted = this.stop.signal.aborted || this.has(client.info.id)
    this.clients.push(client)
    if (unwanted) {
      client.close()
      return
    }
    // Before the scheduler's own listener: it must already know that the node may come back.
    client.onLost(() => void this.rejoin(client))
    this.scheduler.addNode(client)
    this.joined()
  }

  /** A node discovery heard of: connected and admitted, unless it is in the batch already. */
  async discovered(node: DiscoveredNode): Promise<void> {
    const { id } = node.info
    if (this.has(id) || this.dialling.has(id)) return
    this.dialling.add(id)
    try {
      this.admit(await this.options.connect(node.url, this.stop.signal))
    } catch (error) {
      if (!this.stop.signal.aborted) this.options.warn((error as Error).message)
    } finally {
      this.dialling.delete(id)
    }
  }

  /** Discovery stopped hearing this node: the scheduler holds new tasks until it answers (suspectNode). */
  suspect(id: string): void {
    for (const c of this.clients) if (c.connected && c.info.id === id) this.scheduler.suspectNode(c)
  }

  /** Stops reconnecting and closes every connection. */
  close(): void {
    this.stop.abort()
    this.joined()
    for (const c of this.clients) c.close()
  }

  private has(id: string): boolean {
    return this.clients.some((c) => c.connected && c.info.id === id)
  }

  /**
   * A --peer that could not be reached when the batch began (nothing listened yet: a daemon still
   * starting, a machine booting) is dialled again like a lost node, within the --reconnect window.
   */
  retry(url: string, error: Error): void {
    const { reconnectMs } = this.options
    if (reconnectMs <= 0) return this.options.warn(error.message)
    this.options.warn(`${error.message}; trying again for up to ${seconds(reconnectMs)} (--reconnect)`)
    void this.redial(url, undefined, `${url.replace(/^wss?:\/\//, '')}: unreachable, dialled again (--reconnect)`).then(
      (back) => back || this.options.warn(`node ${url} could not be reached within ${seconds(reconnectMs)} (--reconnect)`),
    )
  }

  // Dials a lost node's address again, unless the batch is over or --reconnect is 0.
  private async rejoin(lost: NodeClient): Promise<void> {
    const { reconnectMs } = this.options
    if (reconnectMs <= 0 || this.stop.signal.aborted) return
    // With no other node the batch now waits for this one: say so, and for how long (Ctrl-C ends it).
    // After this loss's other listeners, so the reader sees "lost" first.
    if (!this.clients.some((c) => c.connected))
      queueMicrotask(() =>
        this.options.warn(`no other node: dialling ${lost.info.name} again for up to ${seconds(reconnectMs)} (--reconnect)`),
      )
    const back = await this.redial(lost.url, lost.info.id, `${lost.info.name}: connection lost, dialled again (--reconnect)`)
    if (!back) this.options.warn(`node ${lost.info.name} did not come back within ${seconds(reconnectMs)} (--reconnect)`)
  }

  // Dials `url` with backoff until it answers, another path (discovery) brought node `id` back, the
  // window closes (false) or the batch ends. Whoever answers there is taken, even a restarted daemon
  // (new id). Meanwhile the scheduler holds the tasks that have no other node, waiting for `label`.
  private async redial(url: string, id: string | undefined, label: string): Promise<boolean> {
    const done = this.scheduler.expectNode(label)
    const deadline = Date.now() + this.options.reconnectMs
    try {
      for (let wait = FIRST_RETRY_MS; Date.now() < deadline; wait = Math.min(2 * wait, MAX_RETRY_MS)) {
        await sleep(Math.min(wait * (0.8 + 0.4 * Math.random()), deadline - Date.now()), undefined, { signal: this.stop.signal })
        if (id !== undefined && this.has(id)) return true
        try {
          this.admit(await this.options.connect(url, this.stop.signal))
          return true
        } catch {
          // Still away: the next try, or false below.
        }
      }
      return false
    } catch {
      // The batch ended while waiting.
      return true
    } finally {
      done()
    }
  }
}

const seconds = (ms: number): string => `${ms % 1000 === 0 ? ms / 1000 : (ms / 1000).toFixed(1)} s`
