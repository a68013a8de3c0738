// One attempt of a task on a node, in named phases: hash its inputs (before reserving, so no slot is
// held while a big new input is read) → reserve a lease (or use one the node kept for us, or be queued
// behind a running task of ours: pipelining) → upload what the node lacks → run, streaming output and
// files back → settle the node's book. It ends as an AttemptEnd; whether that counts is verdict.ts's.
import { randomBytes } from 'node:crypto'
import type { MessageOf } from '../protocol/index.js'
import type { TaskSpec } from '../tasks/index.js'
import { FileSink } from '../transfer/file-sink.js'
import { InputChanged, LeaseNotHeld, type RunHandlers } from '../client/node-client.js'
import { AttemptOutput } from './attempt-output.js'
import type { Digested } from './input-digests.js'
import { free, hold, type NodeSlots } from './node-slots.js'
import { Follower, openLease, type OpenLease } from './pipeline.js'
import type { Locality } from './locality.js'
import type { SubmitObserver } from './result.js'
import type { RunRequest } from './task-node.js'
import type { TaskRecord } from './task-record.js'
import { exitOutcome, type AttemptEnd } from './verdict.js'

/** What an attempt needs of its batch. */
export interface AttemptHost {
  readonly observer: SubmitObserver
  /** The batch was cancelled: an attempt that did not succeed is reported as cancelled. */
  readonly cancelled: boolean
  /** More tasks wait: a lease is worth keeping after this task. */
  moreWaiting(): boolean
  /** The task names input files (their digests are asked for with `digested`). */
  hasInputs(task: TaskSpec): boolean
  /** The task's inputs with their digests, as the files are now, to be run on node `node` (by id). */
  digested(task: TaskSpec, node: string): Promise<Digested[]>
  /** Where the task's returned files go. */
  dest(task: TaskSpec): string
  /** A lease was granted: the batch waits for a node no more. */
  leased(): void
  /** The node holds the task for its owner's approval (what for, in words); undefined: it holds it no more. */
  heldOnNode(reason: string | undefined): void
  /** `open` on `node` may take a task queued behind it now. */
  opened(node: NodeSlots, open: OpenLease): void
  /** The duration of an exit, for the running average that decides pipelining. */
  exited(durationMs: number): void
  /** Learns which node holds which blobs (uploads, kept outputs) and the link rate. */
  readonly locality: Locality
}

/** Where an attempt's lease comes from: a new reservation, a lease the node kept, or queued behind `behind`. */
export type LeaseSource = { kept: string } | { behind: OpenLease } | undefined

// Attempt tokens: unique within this process by a counter, across submitters by a random prefix drawn
// once (a randomBytes call per attempt was 4% of the submitter's CPU on trivial tasks, profiled).
const TOKEN_PREFIX = randomBytes(6).toString('hex')
let tokens = 0

export class Attempt implements RunHandlers {
  readonly token: string
  readonly number: number
  phase: 'hash' | 'reserve' | 'upload' | 'run' | 'settle' = 'hash'
  startedAt = Date.now()
  /** Where returned files are written: made with the first one (most tasks return none). */
  private fileSink: FileSink | undefined
  readonly output: AttemptOutput
  private readonly task: TaskSpec
  /** Queued behind a running task: it takes over that one's slot (and counts) only when its exit hands it on. */
  private readonly follower: Follower | undefined
  private lease: string | undefined
  private leased = false
  /** The running task's exit handed our lease on to the task queued behind it: the slot is that one's now. */
  private handedOn = false
  /** The node kept our lease after the exit (claim reuse): the next pump uses or releases it. */
  private kept = false
  /** The run asked the node to keep its lease (more tasks waited). */
  private keep = false
  /** The lease a task may be queued behind while this one runs (pipelining). */
  private open: OpenLease | undefined
  /** What the node holds the task for (its owner's approval), while it does. */
  private held: string | undefined

  constructor(
    private readonly host: AttemptHost,
    private readonly record: TaskRecord,
    readonly node: NodeSlots,
    source: LeaseSource,
  ) {
    this.task = record.spec
    this.token = `${this.task.line}-${TOKEN_PREFIX}${(++tokens).toString(36)}`
    this.number = record.attempts + 1
    const { client } = node
    if (source && 'behind' in source) {
      // Taken back after waiting too long, the node answers that it never ran: it goes back to the queue.
      this.follower = new Follower(this.token, source.behind, () => client.connected && client.cancel(this.token))
      this.follower.taken(() => (this.startedAt = Date.now()))
      this.lease = source.behind.lease
    } else {
      hold(node, this.task)
      this.lease = source?.kept
    }
    record.running = { node, token: this.token }
    this.output = new AttemptOutput((stream, data) => host.observer.taskOutput?.(this.task, stream, data))
  }

  private get sink(): FileSink {
    return (this.fileSink ??= new FileSink(this.host.dest(this.task)))
  }

  /** Bytes of the files it returned. */
  get bytesDown(): number {
    return this.fileSink?.bytes ?? 0
  }

  /** Whether this attempt ran (or may have) on the node: for the job log and the count of lost runs. */
  get ran(): boolean {
    return this.leased && this.holds
  }

  private get holds(): boolean {
    return this.follower === undefined || this.follower.holds
  }

  async run(): Promise<AttemptEnd> {
    const { client } = this.node
    try {
      // No inputs, on a lease in hand (kept, or queued behind a running task): nothing to hash, reserve
      // or send, so straight to the run (the common short task: five awaits and their promises less).
      if (this.lease !== undefined && !this.host.hasInputs(this.task)) {
        // Not before the placement pass that launched it has ended: its run starts another (opened()).
        await undefined
        this.leased = true
        if (this.host.cancelled) return this.stop()
        return await this.execute([], 0)
      }
      const inputs = this.lease === undefined ? await this.hash() : undefined
      if (!(await this.reserve())) return { how: 'refused' }
      if (this.host.cancelled) return this.stop()
      const { blobs, bytesUp } = await this.upload(inputs)
      // Ctrl-C or --halt now while the inputs were sent: the task must not start after all.
      if (this.host.cancelled) return this.stop()
      return await this.execute(blobs, bytesUp)
    } catch (error) {
      await this.fileSink?.abort()
      const changed = error instanceof InputChanged
      if (changed) this.host.observer.warning?.(`${this.task.name}: ${error.message}`)
      const kind = changed ? 'changed' : error instanceof LeaseNotHeld ? 'not-held' : client.connected ? 'other' : 'lost'
      return { how: 'threw', error: kind, message: (error as Error).message, ran: this.ran }
    } finally {
      this.settle()
    }
  }

  // Gives the lease back (or leaves the lease a queued task waited for) before anything ran.
  private stop(): AttemptEnd {
    const { client } = this.node
    if (!this.follower?.leave() && client.connected) client.release(this.lease as string)
    this.leased = false
    return { how: 'stopped' }
  }

  // An input that cannot be read fails this attempt (and counts, so retries end).
  private hash(): Promise<Digested[]> {
    this.phase = 'hash'
    return this.host.digested(this.task, this.node.client.info.id)
  }

  private async reserve(): Promise<boolean> {
    this.phase = 'reserve'
    if (this.lease === undefined) {
      const notices = this.node.freeNotices
      this.lease = await this.node.client.reserve(this.task.slots, this.task.lock)
      // A `free` notice that came while we asked means the refusal is stale already.
      if (this.lease === undefined) {
        if (this.node.client.connected && this.node.freeNotices === notices) this.node.refused = true
        return false
      }
      this.host.leased()
    }
    this.leased = true
    return true
  }

  // On a kept or queued lease the inputs are hashed here. No run will use a lease whose inputs cannot
  // be sent: it is given back now, not at its TTL (or it would hold its slot for 30 s). A queued task
  // that was not handed the lease only leaves it.
  private async upload(inputs: Digested[] | undefined): Promise<{ blobs: Digested[]; bytesUp: number }> {
    this.phase = 'upload'
    const { client } = this.node
    try {
      const blobs = inputs ?? (await this.host.digested(this.task, client.info.id))
      const began = performance.now()
      const bytesUp = await client.ensureBlobs(blobs)
      this.host.locality.sent(client.info.id, blobs, bytesUp, performance.now() - began)
      return { blobs, bytesUp }
    } catch (error) {
      if (!this.follower?.leave() && client.connected) client.release(this.lease as string)
      throw error
    }
  }

  private async execute(blobs: Digested[], bytesUp: number): Promise<AttemptEnd> {
    this.phase = 'run'
    const { node, task, follower, host } = this
    const lease = this.lease as string
    // Worth a kept lease only while more tasks wait; the node keeps it only if no one else waits.
    const keep = (this.keep = host.moreWaiting())
    // While it runs, another task may be queued behind it on its lease (pipelining, see the scheduler).
    // Queued tasks open their lease at once (the node keeps them in order: PROTOCOL.md §5, pipelining).
    const open = (this.open = keep && task.lock === undefined ? openLease(lease, task.slots, follower) : undefined)
    // The attempt itself takes the run's events (its RunHandlers methods below): no closures a task.
    const request: RunRequest = {
      lease,
      task: this.token,
      name: task.name,
      command: task.command,
      env: task.env,
      files: blobs.length === 0 ? [] : blobs.map((b) => ({ path: b.path, digest: b.digest, mode: b.mode & 0o777 })),
      outputs: task.outputs.length === 0 ? [] : [...task.outputs], // the protocol type is mutable; the spec is shared and frozen
      keep,
    }
    // Set, not spread in: a spread makes an object a task for each (the message is copied twice more on its way).
    if (task.timeoutMs !== undefined) request.timeoutMs = task.timeoutMs
    if (follower) request.queue = true
    const running = node.client.run(request, this)
    if (open) host.opened(node, open)
    let exit: MessageOf<'exit'>
    try {
      exit = await running
    } finally {
      if (open) removeItem(node.open, open)
      if (this.held) host.heldOnNode((this.held = undefined))
    }
    host.exited(exit.durationMs)
    this.kept = exit.kept === true && !this.handedOn
    return {
      how: 'exited',
      outcome: exitOutcome(exit, this.task.timeoutMs, this.host.cancelled, this.fileSink?.written ?? [], bytesUp),
      evicted: exit.evicted === true,
      withdrawn: follower?.withdrawn === true,
      missing: exit.missing !== undefined,
    }
  }

  // RunHandlers: what the node says of the run. An attempt that is no longer its task's current one
  // (a stale attempt) reports nothing.
  private get current(): boolean {
    return this.record.running?.token === this.token
  }

  onStarted(): void {
    if (this.held) this.host.heldOnNode((this.held = undefined))
    if (this.current) this.host.observer.taskStarted?.(this.task, this.node.client.info, this.number)
  }

  // What the node holds the task for (its owner's approval), while it does.
  onHeld(reason: string): void {
    this.held = `${this.task.name} on ${this.node.client.info.name}: ${reason}`
    if (this.current) this.host.heldOnNode(this.held)
  }

  // Returns the observer's wait, if any: NodeClient then reads nothing more from this node.
  onOutput(stream: 'stdout' | 'stderr', data: Buffer): void | Promise<void> {
    return this.current ? this.output.push(stream, data) : undefined
  }

  onProgress(percent: number, text: string): void {
    if (this.current) this.host.observer.taskProgress?.(this.task, percent, text)
  }

  async onFile(m: MessageOf<'file'>): Promise<void> {
    if (!this.current) return
    const written = await this.sink.write(m.path, m.offset, m.data, m.final, m.mode, m.cached !== undefined)
    // Kept in the node's cache: a task taking this file as an input is best placed there (the
    // node's digest is a hint for placement, never taken as the file's: see Locality.returned).
    if (written && m.cached !== undefined) this.host.locality.returned(this.node.client.info.id, written, m.cached)
  }

  // At once, before the next frame is read: the next frame may already be the queued task's.
  // Refused while queued (taken back, or the lease went elsewhere): it no longer follows.
  onRefused(): void {
    if (this.follower) void this.follower.leave()
  }

  onExit(exit: MessageOf<'exit'>): void {
    const { node, open } = this
    if (this.keep) node.contended = exit.kept !== true
    if (open) removeItem(node.open, open)
    // A kept lease is the queued task's: the node has started it there, or starts it as it arrives
    // (a lease of ours that runs nothing). Had the node dropped it (our cancel), its refusal came first.
    if (open?.follower !== undefined && exit.kept === true) {
      this.handedOn = true
      open.follower.take()
    }
  }

  // Gives back what the attempt held in the node's book. Handed on: the slot (and lock) now belong to
  // the task that was queued behind this one.
  private settle(): void {
    this.phase = 'settle'
    const { node } = this
    this.follower?.stop()
    if (this.holds && !this.handedOn) free(node, this.task)
    if (this.kept && node.client.connected) node.kept.push({ lease: this.lease as string, slots: this.task.slots, lock: this.task.lock })
    if (this.record.running?.token === this.token) this.record.running = undefined
  }
}

function removeItem<T>(list: T[], item: T): void {
  const i = list.indexOf(item)
  if (i >= 0) list.splice(i, 1)
}
