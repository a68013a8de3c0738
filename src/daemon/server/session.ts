// One submitter's connection to this node: the handshake (handshake.ts), then its reservations,
// uploads and tasks; a monitor's connection is handed to watcher-requests.ts once it is open.
// Everything it sends has already passed decodeFrame; what it asks for is still checked here.
import { randomUUID } from 'node:crypto'
import { HANDSHAKE_TIMEOUT_MS, MAX_QUEUED_PER_LEASE, ProtocolError, type Message, type MessageOf } from '../../protocol/index.js'
import type { Channel } from '../../transfer/channel.js'
import { checkWirePath } from '../../transfer/paths.js'
import { answerProbe } from '../policy/probe.js'
import { runTask, TaskEvicted, type LeaseEnd } from '../run/task-run.js'
import { TaskStop, type StopSignal } from '../run/task-stop.js'
import { Handshake } from './handshake.js'
import type { NodeContext } from './node-context.js'
import { WatcherRequests } from './watcher-requests.js'

export class Session {
  readonly id = randomUUID()
  private readonly handshake: Handshake
  private readonly tasks = new Map<string, { stop: TaskStop; lease: string }>()
  /** Runs sent with `queue` behind a lease's running task, by lease: started the moment it is kept. */
  private readonly queued = new Map<string, MessageOf<'run'>[]>()
  /** Blobs this session has asked about: kept from eviction while it lives (it may run them any time). */
  private readonly pinned = new Set<string>()
  private readonly handshakeTimer: NodeJS.Timeout
  /** A submitter refused a reservation is told of the next freed slot (SlotTable's waiters), but not
   *  while the policy pauses the node: it would only be refused again. It is told when the pause ends. */
  private readonly onFreed = (free: number): void => {
    if (this.node.policy.pauseReason() !== undefined) return
    if (this.node.slots.takeWaiter(this.id)) void this.channel.send({ type: 'free', slots: free })
  }
  /** When this session's uploads last restarted its unused leases' expiry (see keepLeasesAlive). */
  private leasesRefreshedAt = 0
  /** A monitor's connection (hello role 'watch'): what it may ask is watcher-requests.ts's. */
  private watcher: WatcherRequests | undefined

  constructor(
    private readonly channel: Channel,
    private readonly node: NodeContext,
    readonly peer: string,
  ) {
    this.handshake = new Handshake(channel, node, this.address)
    this.handshakeTimer = setTimeout(
      () => channel.fail(new ProtocolError('DISTW_ERR_HANDSHAKE_TIMEOUT', 'no handshake in time')),
      HANDSHAKE_TIMEOUT_MS,
    )
    channel.onMessage((message) => this.handle(message))
    // A failed proof is logged by the limiter (at most once per address a minute); any other failure at
    // most once per address and code a minute, so a flood of bad frames cannot fill the log either.
    channel.on('failure', (error) => {
      if (error.code !== 'DISTW_ERR_AUTH_FAILED') node.limiter.refused(this.address, error.code, { peer, reason: error.message })
    })
    channel.on('close', () => this.closed())
  }

  private handle(message: Message): Promise<void> | void {
    if (!this.handshake.ready) return this.handshaken(message)
    if (this.watcher) return this.watcher.handle(message)
    switch (message.type) {
      case 'reserve':
        return this.reserve(message)
      case 'release':
        this.node.slots.release(message.lease, this.id)
        return
      case 'have':
        return this.have(message)
      case 'probe':
        return this.probe(message)
      case 'blob':
        this.keepLeasesAlive()
        // The frame is handled once this returns: its chunk's memory may be moved to the upload thread.
        return this.node.store.write(this.id, message.digest, message.offset, message.data, message.final, true)
      case 'run':
        return this.run(message)
      case 'cancel':
        this.tasks.get(message.task)?.stop.abort()
        this.unqueue(message.task)
        return
      case 'queue':
        this.node.state.queueReported(this.id, this.handshake.hello?.client ?? '?', message)
        return
      case 'error':
        this.node.log('peer error', { peer: this.peer, code: message.code, message: message.message })
        return
      case 'hello':
      case 'auth':
      case 'challenge':
      case 'welcome':
      case 'reserved':
      case 'refused':
      case 'free':
      case 'probed':
      case 'need':
      case 'started':
      case 'output':
      case 'file':
      case 'exit':
      case 'progress':
      case 'state':
      case 'watch':
      case 'held':
      case 'decide':
      case 'decided':
        throw new ProtocolError('DISTW_ERR_UNEXPECTED', `a node does not accept ${message.type} here`)
    }
  }

  // The handshake (handshake.ts); once it completes, the session is open: welcome.
  private async handshaken(message: Message): Promise<void> {
    if (!(await this.handshake.step(message))) return
    clearTimeout(this.handshakeTimer)
    const { hello } = this.handshake
    if (hello?.role === 'watch')
      this.watcher = new WatcherRequests(this.channel, this.node, hello.client ?? '', { address: this.address, peer: this.peer })
    this.node.slots.on('freed', this.onFreed)
    this.node.log('client connected', { peer: this.peer, session: this.id })
    await this.channel.send({ type: 'welcome', session: this.id })
  }

  private get address(): string {
    return this.peer.replace(/:\d+$|:\?$/, '')
  }

  private async reserve(message: MessageOf<'reserve'>): Promise<void> {
    const pause = this.node.policy.pauseReason()
    if (pause) {
      this.node.log('reservation refused', { session: this.id, reason: pause })
      this.node.slots.addWaiter(this.id)
      await this.channel.send({ type: 'refused', id: message.id, reason: pause })
      return
    }
    const lease = this.node.slots.reserve(this.id, message.slots, message.lock)
    if (lease) {
      await this.channel.send({ type: 'reserved', id: message.id, lease, ttlMs: this.node.slots.ttlMs })
      return
    }
    this.node.slots.addWaiter(this.id)
    await this.channel.send({ type: 'refused', id: message.id, reason: this.node.slots.whyRefused(message.slots, message.lock) })
  }

  // A submitter reserves, then uploads the task's inputs, then runs it: an upload longer than the lease
  // TTL (a few GiB over a LAN) would lose the slot. So while its blobs stream in, its unused leases
  // stay held (their expiry restarts at most once a tenth of the TTL, not on every chunk).
  private keepLeasesAlive(): void {
    const now = performance.now()
    if (now - this.leasesRefreshedAt < this.node.slots.ttlMs / 10) return
    this.leasesRefreshedAt = now
    this.node.slots.refreshUnused(this.id)
  }

  private async probe(message: MessageOf<'probe'>): Promise<void> {
    const answer = await answerProbe(message.tools, message.env, this.node.task.baseEnv)
    await this.channel.send({ type: 'probed', id: message.id, ...answer })
  }

  private async have(message: MessageOf<'have'>): Promise<void> {
    const missing: string[] = []
    for (const { digest } of message.blobs) {
      if (!this.pinned.has(digest)) {
        this.pinned.add(digest)
        this.node.store.pin(digest)
      }
      if (!this.node.store.has(digest)) missing.push(digest)
    }
    await this.channel.send({ type: 'need', id: message.id, digests: missing })
  }

  private run(message: MessageOf<'run'>): void {
    if (this.tasks.has(message.task) || this.queuedRun(message.task))
      throw new ProtocolError('DISTW_ERR_UNEXPECTED', `task ${message.task} is already running`)
    // Paths are checked before anything is created, so a hostile list fails as a whole.
    for (const file of message.files) checkWirePath(file.path)
    if (this.node.slots.use(this.id, message.lease)) this.start(message)
    else if (message.queue === true && this.queuedOn(message.lease).length < MAX_QUEUED_PER_LEASE && this.runsOn(message.lease))
      this.setQueued(message.lease, [...this.queuedOn(message.lease), message])
    else this.noLease(message.task, `lease ${message.lease} is not held`)
  }

  private noLease(task: string, why: string): void {
    void this.channel.send({ type: 'error', code: 'DISTW_ERR_NO_LEASE', message: why, task })
  }

  private runsOn(lease: string): boolean {
    for (const task of this.tasks.values()) if (task.lease === lease) return true
    return false
  }

  private queuedRun(task: string): MessageOf<'run'> | undefined {
    for (const runs of this.queued.values()) for (const run of runs) if (run.task === task) return run
    return undefined
  }

  private queuedOn(lease: string): MessageOf<'run'>[] {
    return this.queued.get(lease) ?? []
  }

  // A cancelled queued run never started: it is answered like a run whose lease went elsewhere, and so
  // are the runs queued behind it (each was sent to follow the one before it: PROTOCOL.md §5).
  private unqueue(task: string): void {
    const run = this.queuedRun(task)
    if (!run) return
    const runs = this.queuedOn(run.lease)
    const at = runs.indexOf(run)
    this.setQueued(run.lease, runs.slice(0, at))
    this.node.log('queued task withdrawn', { session: this.id, task: run.name })
    this.noLease(task, 'cancelled while it waited for its lease')
    for (const behind of runs.slice(at + 1)) this.noLease(behind.task, `the run queued before it (${task}) was cancelled`)
  }

  // The lease's task is ending: the first run queued behind it starts now on the kept lease, or every
  // run queued there is told the lease went elsewhere (after the ending task's exit, which is sent right
  // after this returns). Returns how many runs still wait on the lease (-1: none was handed it).
  private handOn(lease: string, kept: boolean): number {
    const [next, ...rest] = this.queuedOn(lease)
    if (!next) return -1
    // Kept for it, the lease is still in use (SlotTable.finish with `next`): it passes straight on.
    if (kept) {
      this.setQueued(lease, rest)
      this.start(next, true)
      return rest.length
    }
    this.setQueued(lease, [])
    const why = `lease ${lease} was not kept (another submitter waits, or the node pauses)`
    queueMicrotask(() => [next, ...rest].forEach((run) => this.noLease(run.task, why)))
    return -1
  }

  // Every change to the queued runs goes through here, so the node's count for monitors stays exact.
  private setQueued(lease: string, runs: MessageOf<'run'>[]): void {
    const delta = runs.length - this.queuedOn(lease).length
    if (runs.length > 0) this.queued.set(lease, runs)
    else this.queued.delete(lease)
    if (delta !== 0) this.node.state.queuedChanged(delta)
  }

  private start(message: MessageOf<'run'>, queued = false): void {
    const stop = new TaskStop()
    this.tasks.set(message.task, { stop, lease: message.lease })
    // Two literals, not a spread: this runs once a task.
    if (queued) this.node.log('task started', { session: this.id, task: message.name, queued })
    else this.node.log('task started', { session: this.id, task: message.name })
    const command = 'shell' in message.command ? message.command.shell : message.command.argv.join(' ')
    const watched = this.node.state.taskStarted({
      name: message.name,
      client: this.handshake.hello?.client ?? '?',
      command,
      cancel: () => stop.abort(),
    })
    // An eviction is the node's doing, not the task's: runTask reports it as such (exit.evicted).
    const budgetEnded = this.node.policy.taskStarted((reason) => stop.abort(new TaskEvicted(reason)))
    // Kept (claim reuse) only when asked, for a task that was not stopped, while the node takes new work.
    const finish = (): LeaseEnd => {
      if (!this.tasks.delete(message.task)) return { kept: false, queuedBehind: -1 }
      const asked = message.keep === true || this.queued.has(message.lease)
      const keep = asked && !stop.aborted && this.node.policy.pauseReason() === undefined
      const kept = this.node.slots.finish(message.lease, keep, this.queued.has(message.lease))
      return { kept, queuedBehind: this.handOn(message.lease, kept) }
    }
    let outcome = { ok: false, exitCode: null as number | null, durationMs: 0 }
    const lease = {
      finish,
      lend: () => this.node.slots.lend(message.lease),
      takeBack: (signal: StopSignal, waiting: () => void) => this.node.slots.takeBack(message.lease, signal, waiting),
    }
    void runTask(message, this.node.task, this.channel, stop, lease, watched.watcher)
      .then((o) => (outcome = o))
      .catch((error: Error) => this.node.log('task error', { task: message.name, error: error.message }))
      .finally(() => {
        budgetEnded()
        watched.ended(outcome)
        // Normally runTask has finished the lease already; after an unexpected error nobody is told it was kept.
        if (this.tasks.delete(message.task)) {
          this.node.slots.release(message.lease)
          this.handOn(message.lease, false)
        }
        this.node.log('task ended', { session: this.id, task: message.name })
      })
  }

  // The submitter is gone: after the grace its tasks are killed and their folders removed (each task's
  // own cleanup frees its slot); unused leases and unfinished uploads are dropped at once.
  private closed(): void {
    clearTimeout(this.handshakeTimer)
    this.watcher?.stop()
    this.node.slots.off('freed', this.onFreed)
    for (const lease of [...this.queued.keys()]) this.setQueued(lease, [])
    this.node.state.queueReported(this.id, '', undefined)
    const tasks = [...this.tasks.values()]
    const kill = (): void => tasks.forEach((task) => task.stop.abort())
    const grace = this.node.stopping?.aborted ? 0 : (this.node.submitterGraceMs ?? 0)
    if (tasks.length > 0 && grace > 0) {
      this.node.log('submitter lost; killing its tasks after the grace', { session: this.id, tasks: tasks.length, graceMs: grace })
      const onStop = (): void => (clearTimeout(timer), kill())
      const timer = setTimeout(() => (this.node.stopping?.removeEventListener('abort', onStop), kill()), grace)
      this.node.stopping?.addEventListener('abort', onStop, { once: true })
    } else kill()
    this.node.slots.releaseUnused(this.id)
    this.node.store.abortOwner(this.id)
    for (const digest of this.pinned) this.node.store.unpin(digest)
    if (this.handshake.ready) this.node.log('client disconnected', { peer: this.peer, session: this.id })
  }
}
