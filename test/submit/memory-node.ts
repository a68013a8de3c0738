// An in-memory node for the scheduler's unit tests: the TaskNode interface with a slot table, leases
// (kept on request while nobody waits), refusals with `free` notices, and tasks whose behaviour the
// test scripts by name: exit codes, a lost connection mid-run, an eviction. No sockets, no processes.
import { ExternalError } from '../../src/errors.js'
import { PROTOCOL_VERSION, type MessageOf, type NodeInfo } from '../../src/protocol/index.js'
import { LeaseNotHeld, type Blob, type RunHandlers } from '../../src/client/node-client.js'
import type { RunRequest, TaskNode } from '../../src/submit/task-node.js'
import type { QueueSummary } from '../../src/submit/queue-report.js'

/**
 * What one run of a task does on this node. `lose`: the connection drops while it runs; `hang`: it runs
 * until cancelled; `ms`: it ends after that long (else a macrotask after it started).
 */
export type Behaviour = { exitCode?: number; stdout?: string; lose?: boolean; evicted?: boolean; hang?: boolean; ms?: number }

interface Lease {
  slots: number
  lock: string | undefined
  inUse: boolean
}

export class MemoryNode implements TaskNode {
  readonly url: string
  readonly info: NodeInfo
  connected = true
  lastRefusal: string | undefined
  /** Every run this node was asked for, by task name, in order. */
  readonly ran: string[] = []
  /** Paused by its policy: every reservation is refused. */
  paused = false
  /** The blobs it holds (digests): `ensureBlobs` sends only the others, and counts their bytes. */
  readonly blobs = new Set<string>()
  /** Every `queue` summary the batch sent it, in order. */
  readonly queues: QueueSummary[] = []
  /** While set, every `ensureBlobs` waits for it (an upload under way). */
  uploads: Promise<void> | undefined
  private readonly leases = new Map<string, Lease>()
  private readonly runs = new Map<
    string,
    { request: RunRequest; handlers: RunHandlers; resolve: (exit: MessageOf<'exit'>) => void; reject: (e: Error) => void }
  >()
  private readonly lostListeners: ((reason: string) => void)[] = []
  private readonly freeListeners: (() => void)[] = []
  private waiter = false
  private nextLease = 1

  constructor(
    name: string,
    slots: number,
    /** How task `name` behaves in its `run`-th run on this node (1-based). */
    private readonly behave: (name: string, run: number) => Behaviour = () => ({}),
  ) {
    this.url = `memory://${name}`
    this.info = { id: name, name, version: '0', os: 'linux', arch: 'x64', slots, tags: [], memory: 2 ** 30, cpus: slots }
  }

  get used(): number {
    return [...this.leases.values()].reduce((n, l) => n + l.slots, 0)
  }

  onLost(listener: (reason: string) => void): void {
    this.lostListeners.push(listener)
  }

  onFree(listener: () => void): void {
    this.freeListeners.push(listener)
  }

  async reserve(slots: number, lock?: string): Promise<string | undefined> {
    await Promise.resolve()
    if (!this.connected) return undefined
    const locked = lock !== undefined && [...this.leases.values()].some((l) => l.lock === lock)
    const why = this.paused
      ? 'paused: outside hours 19:00-07:00'
      : locked
        ? `lock ${lock} is held`
        : slots > this.info.slots - this.used
          ? `${slots} slot(s) asked, ${this.info.slots - this.used} free`
          : undefined
    this.lastRefusal = why
    if (why !== undefined) {
      this.waiter = true
      return undefined
    }
    const id = `lease-${this.nextLease++}`
    this.leases.set(id, { slots, lock, inUse: false })
    return id
  }

  probe(tools: string[], env: string[]): Promise<{ tools: boolean[]; env: boolean[] }> {
    if (!this.connected) return Promise.reject(new ExternalError(`node ${this.info.name} lost`))
    return Promise.resolve({ tools: tools.map(() => true), env: env.map(() => true) })
  }

  release(lease: string): void {
    if (this.leases.delete(lease)) this.freed()
  }

  async ensureBlobs(blobs: Blob[]): Promise<number> {
    await this.uploads
    if (!this.connected) throw new ExternalError(`node ${this.info.name} lost`)
    let sent = 0
    for (const blob of blobs) if (!this.blobs.has(blob.digest)) sent += blob.size
    for (const blob of blobs) this.blobs.add(blob.digest)
    return sent
  }

  run(request: RunRequest, handlers: RunHandlers): Promise<MessageOf<'exit'>> {
    if (!this.connected) return Promise.reject(new ExternalError(`node ${this.info.name} lost`))
    const lease = this.leases.get(request.lease)
    if (!lease || lease.inUse) {
      handlers.onRefused?.()
      return Promise.reject(new LeaseNotHeld(`node ${this.info.name}: no lease`))
    }
    lease.inUse = true
    this.ran.push(request.name)
    const behaviour = this.behave(request.name, this.ran.filter((n) => n === request.name).length)
    return new Promise((resolve, reject) => {
      this.runs.set(request.task, { request, handlers, resolve, reject })
      // A macrotask later: the scheduler's other attempts move meanwhile, as over a real connection.
      setImmediate(() => {
        if (!this.runs.has(request.task)) return
        handlers.onStarted?.()
        if (behaviour.lose) return this.lose('connection closed (1006)')
        if (behaviour.hang) return
        if (behaviour.stdout !== undefined) void handlers.onOutput('stdout', Buffer.from(behaviour.stdout))
        const end = () => {
          if (this.runs.has(request.task))
            this.exit(request, handlers, { exitCode: behaviour.exitCode ?? 0, ...(behaviour.evicted ? { evicted: true } : {}) }, resolve)
        }
        if (behaviour.ms === undefined) end()
        else setTimeout(end, behaviour.ms)
      })
    })
  }

  queue(summary: QueueSummary): void {
    this.queues.push(summary)
  }

  cancel(task: string): void {
    const run = this.runs.get(task)
    if (run) this.exit(run.request, run.handlers, { exitCode: null, signal: 'SIGTERM' }, run.resolve)
  }

  /** The connection drops: every run on it fails, and the scheduler hears of the loss. */
  lose(reason: string): void {
    if (!this.connected) return
    this.connected = false
    const error = new ExternalError(`node ${this.info.name} lost: ${reason}`)
    for (const run of this.runs.values()) run.reject(error)
    this.runs.clear()
    this.leases.clear()
    for (const listener of this.lostListeners.splice(0)) listener(reason)
  }

  /** The node takes work again after a pause: those it refused are told. */
  resume(): void {
    this.paused = false
    this.freed()
  }

  private exit(
    request: RunRequest,
    handlers: RunHandlers,
    fields: { exitCode: number | null; signal?: string; evicted?: boolean },
    resolve: (exit: MessageOf<'exit'>) => void,
  ): void {
    this.runs.delete(request.task)
    // Kept for the next task of this submitter only while no one else waits (claim reuse).
    const kept = request.keep && !this.waiter
    if (kept) (this.leases.get(request.lease) as Lease).inUse = false
    else this.release(request.lease)
    const exit: MessageOf<'exit'> = {
      v: PROTOCOL_VERSION,
      type: 'exit',
      task: request.task,
      signal: null,
      durationMs: 1000,
      timedOut: false,
      deleted: [],
      skipped: [],
      ...(kept ? { kept: true } : {}),
      ...fields,
    }
    handlers.onExit?.(exit)
    resolve(exit)
  }

  private freed(): void {
    if (!this.waiter || this.paused) return
    this.waiter = false
    for (const listener of this.freeListeners) listener()
  }
}
