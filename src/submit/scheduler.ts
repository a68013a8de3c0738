// Hands a batch's tasks to nodes: a task is ready when the tasks it comes after have succeeded; a ready
// task goes to a node that meets its requirements and has free slots (placement.ts); the node must
// grant a lease (another submitter may have won the slot, and then the node says when slots come
// free); then its inputs are uploaded, it runs, its files come back (attempt.ts). Whether an attempt
// counts is verdict.ts's; a task's state is its TaskRecord. A lost node's tasks go back to the queue.
// Tasks come in through `intake` (scheduler-intake.ts): all at once, or a stream's as lines are read;
// a finished task leaves only its name's state and the counters (task-books.ts).
import path from 'node:path'
import type { TaskSpec } from '../tasks/index.js'
import { HashCache } from '../transfer/hash.js'
import { Attempt, type AttemptHost, type LeaseSource } from './attempt.js'
import { digestInputs, type Digested } from './input-digests.js'
import { nodeSlots, type NodeSlots } from './node-slots.js'
import { PIPELINE_BELOW_MS, type OpenLease } from './pipeline.js'
import { place, releaseKept, waitReason, type Placer } from './placement.js'
import type { SubmitObserver, TaskResult } from './result.js'
import type { TaskNode } from './task-node.js'
import { attemptRecord, type TaskRecord } from './task-record.js'
import { judge, type Outcome } from './verdict.js'
import { LateInputs, type LateVerdict } from './late-inputs.js'
import type { NameState } from './name-book.js'
import { Probes } from './probes.js'
import { SchedulerIntake } from './scheduler-intake.js'
import { StreamGate } from './stream-gate.js'
import { enqueue, TaskBooks } from './task-books.js'
import type { ScheduleOptions } from './schedule-options.js'
import { BlobBook } from './blob-book.js'
import { Locality } from './locality.js'
import type { LocalityHold } from './locality-wait.js'
import type { ResolvedInput } from '../tasks/index.js'

export { MAX_LOST_RUNS } from './verdict.js'
export type { HaltPolicy, ScheduleOptions } from './schedule-options.js'

/** A node that refused is asked again when it announces free slots, or after this long at the latest. */
const REFUSAL_FALLBACK_MS = 5_000
export { BACKLOG_HIGH } from './stream-gate.js'

export class Scheduler implements AttemptHost, Placer {
  readonly nodes: NodeSlots[] = []
  /** The queue: higher priority first, file order among equals; a requeued task goes back to its head. */
  readonly waiting: TaskRecord[] = []
  /** Records of the tasks not finished, every name's state, the counters, the kept results (task-books.ts). */
  readonly books: TaskBooks
  /** What a stream of lines feeds (intake.ts); a batch read whole is queued through it at once. */
  readonly intake: SchedulerIntake
  /** The tasks that come after others. */
  private readonly late: LateInputs
  private readonly active = new Set<Attempt>()
  private readonly hashes: HashCache
  readonly locality: Locality
  /** Tasks wait for a node holding their inputs: said as this, and looked at again by this timer. */
  private held: { reason: string; timer: NodeJS.Timeout } | undefined
  private readonly probes = new Probes(() => this.pump())
  /** Open while more tasks may come (a stream): the batch does not end while the queue is empty. */
  private readonly input: StreamGate
  private failures = 0
  /** Running average of the batch's task durations: pipelining is for short tasks. */
  private recentMs: number | undefined
  /** Nodes being dialled (expectNode), by what the batch then waits for: while any is, waiting tasks wait. */
  private readonly expected = new Set<{ label: string }>()
  /** What the batch waits for while it runs nothing and tasks wait (said to the observer when it changes). */
  private waitingFor: string | undefined
  private wake: NodeJS.Timeout | undefined
  private finishBatch: () => void = () => {}
  private started = false
  private stopped = false
  private halted = false
  /** The batch ended: connections closing now are not news. */
  private over = false

  constructor(
    private readonly plan: ScheduleOptions,
    readonly observer: SubmitObserver,
  ) {
    this.hashes = plan.hashes ?? new HashCache()
    this.locality = plan.locality ?? new Locality(new BlobBook(), this.hashes)
    this.books = new TaskBooks(plan.stream === true, plan.inputs)
    this.input = new StreamGate(plan.stream === true, () => this.waiting.length - this.late.waitingCount)
    this.late = new LateInputs(
      plan,
      (name) => this.books.names.get(name),
      (record, verdict) => this.lateSettled(record, verdict),
    )
    const stream = plan.stream ? { source: plan.source ?? 'tasks' } : undefined
    this.intake = new SchedulerIntake(this.books, this.input, observer, stream, {
      running: () => !this.stopped && !this.halted,
      asked: (task) => this.probes.ask(task, this.nodes),
      queue: (record) => {
        enqueue(this.waiting, record)
        // A node with a free slot finds the tasks whose inputs it holds, wherever they are in the queue.
        if (this.locality.placement) this.locality.want(record, this.inputsOf(record))
        this.late.add(record)
      },
      resumed: (record) => this.record(record, { status: 'succeeded', reason: 'already succeeded (--resume)' }),
      fail: (record, message) => {
        const i = this.waiting.indexOf(record)
        if (i >= 0) this.waiting.splice(i, 1)
        this.finish(record, 'failed', message)
      },
      failure: () => this.countFailure(),
      pump: () => this.pump(),
    })
    const order = [...plan.tasks].sort((a, b) => b.priority - a.priority || a.line - b.line)
    for (const task of order) this.books.names.claim(task.name, task.line)
    this.intake.add(order.map((task) => ({ task, done: plan.done?.has(task.name) ?? false })))
  }

  /** Adds a node, also mid-batch (discovery). Its loss is handled here: its tasks are re-queued. */
  addNode(client: TaskNode): void {
    const node = nodeSlots(client)
    this.nodes.push(node)
    this.observer.nodeAdded?.(client.info, client.url)
    client.onFree(() => {
      node.freeNotices++
      node.refused = false
      this.pump()
    })
    client.onLost((reason) => {
      if (this.over) return
      this.observer.nodeLost?.(client.info, reason)
      this.pump()
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
  suspectNode(client: TaskNode): void {
    const node = this.nodes.find((n) => n.client === client)
    if (!node || !client.connected) return
    node.suspect = true
    client.probe([], []).then(
      () => {
        node.suspect = false
        this.pump()
      },
      () => {}, // lost: its onLost has handled it
    )
  }

  /**
   * A lost node may come back: until the returned function is called, tasks that have no node left
   * wait for it instead of failing (the user is told they wait for `label`). Call it right when the
   * loss is reported, before any await.
   */
  expectNode(label: string): () => void {
    const entry = { label }
    this.expected.add(entry)
    return () => {
      if (this.expected.delete(entry)) this.pump()
    }
  }

  /** Tells the observer what the batch waits for (undefined: it waits no more), once per change. */
  waitFor(reason: string | undefined): void {
    if (reason === this.waitingFor || this.over) return
    this.waitingFor = reason
    this.observer.waiting?.(reason)
  }

  async run(signal?: AbortSignal): Promise<TaskResult[]> {
    const done = new Promise<void>((resolve) => (this.finishBatch = resolve))
    signal?.addEventListener('abort', () => this.cancel(), { once: true })
    if (signal?.aborted) this.cancel()
    this.started = true
    this.pump()
    await done
    this.waitFor(undefined)
    this.over = true
    clearTimeout(this.wake)
    clearTimeout(this.held?.timer)
    return this.books.tally.results(this.plan.tasks)
  }

  /** Stops handing out tasks and cancels every running one on its node. */
  cancel(reason = 'cancelled before it started'): void {
    this.stopped = true
    this.input.close()
    for (const attempt of this.active) attempt.node.client.cancel(attempt.token)
    for (const record of this.waiting.splice(0)) this.record(record, { status: 'cancelled', reason })
    this.pump()
  }

  private pump(): void {
    if (!this.started) return
    clearTimeout(this.wake)
    place(this)
    // A kept lease no ready task could use (another slot count or lock) goes back to the node, and its
    // slots are placed again at once: the release reaches the node before any reservation that follows
    // on the same connection, and no `free` notice would come for it (we were not refused).
    if (releaseKept(this.nodes) && this.waiting.length > 0) place(this)
    const live = this.nodes.filter((n) => n.client.connected)
    if (this.waiting.length > 0 && this.active.size === 0 && live.length === 0 && this.expected.size === 0) {
      for (const record of this.waiting.splice(0)) this.record(record, { status: 'failed', reason: 'no node left to run it' })
    }
    if (this.waiting.length > 0 && live.some((n) => n.refused)) {
      // Normally a `free` notice wakes us; this only guards against a node that never sends one.
      this.wake = setTimeout(() => {
        for (const n of this.nodes) n.refused = false
        this.pump()
      }, REFUSAL_FALLBACK_MS)
    }
    // Running nothing while tasks wait: the user is told for what (no silent waits). A probe answers in
    // a round trip: not worth a word.
    if (this.waiting.length > 0 && this.active.size === 0 && this.late.resolving === 0 && !live.some((n) => n.probed === undefined))
      this.waitFor(
        waitReason(
          this.nodes,
          [...this.expected].map((e) => e.label),
        ),
      )
    this.input.changed()
    if (this.waiting.length === 0 && this.active.size === 0 && !this.input.open) this.finishBatch()
  }

  /** Cancelled (Ctrl-C, --halt now): an attempt that did not succeed is reported as cancelled. */
  get cancelled(): boolean {
    return this.stopped
  }

  // Placer: placement hands a task to a node (or finishes it) through these.
  state(name: string): NameState | undefined {
    return this.books.names.get(name)
  }

  finish(record: TaskRecord, status: 'skipped' | 'failed', reason: string): void {
    this.record(record, { status, reason })
    if (status === 'failed') this.countFailure()
  }

  atJobLimit(): boolean {
    return this.plan.jobs !== undefined && this.active.size >= this.plan.jobs
  }

  pipelining(): boolean {
    return this.plan.pipeline !== false && this.recentMs !== undefined && this.recentMs < PIPELINE_BELOW_MS
  }

  launch(record: TaskRecord, node: NodeSlots, source: LeaseSource): void {
    void this.attempt(new Attempt(this, record, node, source), record)
  }

  inputsOf(record: TaskRecord): readonly ResolvedInput[] {
    return this.plan.inputs.get(record.spec.name) ?? []
  }

  // A locality wait is said like any other, and ends by itself: the pump looks again when it is due.
  holding(hold: LocalityHold | undefined): void {
    clearTimeout(this.held?.timer)
    const said = this.held?.reason
    this.held = hold && { reason: hold.reason, timer: setTimeout(() => this.pump(), Math.max(0, hold.dueAt - Date.now()) + 1) }
    if (hold) this.waitFor(hold.reason)
    else if (said !== undefined && this.waitingFor === said) this.waitFor(undefined)
  }

  // AttemptHost: what an attempt asks of its batch.
  moreWaiting(): boolean {
    return this.waiting.length > 0
  }

  dest(task: TaskSpec): string {
    return this.plan.perTaskFolders ? path.join(this.plan.dest, task.name) : this.plan.dest
  }

  leased(): void {
    this.waitFor(undefined)
  }

  // A task held on its node for the owner's approval is said like any wait (the user may have to ask).
  heldOnNode(reason: string | undefined): void {
    this.waitFor(reason)
  }

  opened(node: NodeSlots, open: OpenLease): void {
    node.open.push(open)
    this.pump()
  }

  exited(durationMs: number): void {
    this.recentMs = this.recentMs === undefined ? durationMs : 0.8 * this.recentMs + 0.2 * durationMs
  }

  digested(task: TaskSpec): Promise<Digested[]> {
    return digestInputs(this.plan.inputs.get(task.name) ?? [], this.hashes)
  }

  // Runs one attempt, then judges it: back to the queue (not counted, or a retry), or the task's result.
  private async attempt(attempt: Attempt, record: TaskRecord): Promise<void> {
    this.active.add(attempt)
    const end = await attempt.run()
    this.active.delete(attempt)
    const task = record.spec
    const { client } = attempt.node
    const verdict = judge(end, record.lostRuns, attempt.number <= task.retries)
    record.lostRuns = verdict.lostRuns
    if (verdict.counts) record.attempts = attempt.number
    // The node's owner wants it back (--evict): like a lost node, not the task's fault.
    if (end.how === 'exited' && end.evicted && verdict.next === 'again')
      this.observer.warning?.(`${task.name} was stopped by ${client.info.name}'s policy; it goes back to the queue`)
    const outcome = verdict.next === 'again' ? undefined : verdict.outcome
    if (attempt.ran)
      this.observer.attemptFinished?.(
        attemptRecord(task, client.info, attempt.number, attempt.startedAt, outcome, verdict.requeued, attempt.sink.bytes),
      )
    if (verdict.next !== 'final' && !this.cancelled && !this.halted) {
      attempt.output.discard()
      if (verdict.next === 'retry') record.tried.add(client)
      this.waiting.unshift(record)
    } else {
      // Not awaited: the held output goes to the terminal while the task's record is written.
      void attempt.output.flush()
      this.record(
        record,
        outcome
          ? { ...outcome, node: client.info.name, bytesDown: attempt.sink.bytes }
          : { status: 'cancelled', reason: this.halted ? 'halted' : 'cancelled' },
        attempt.node,
      )
      if (outcome?.status === 'failed') this.countFailure()
    }
    this.pump()
  }

  private countFailure(): void {
    this.failures++
    const halt = this.plan.halt
    if (!halt || this.halted || this.failures < halt.failures) return
    this.halted = true
    this.input.close() // a stream reads no more
    this.observer.warning?.(`halting after ${this.failures} failure(s) (--halt ${halt.when},fail=${halt.failures})`)
    if (halt.when === 'now') this.cancel('halted')
    else for (const record of this.waiting.splice(0)) this.record(record, { status: 'cancelled', reason: 'halted' })
  }

  // Each task is recorded once: whatever a stale attempt reports later is dropped.
  // A success that makes dependents ready keeps the slot it freed on its node for them while their
  // inputs are resolved (a few stats): they take its outputs as inputs, so that node is theirs to lose.
  private record(record: TaskRecord, partial: Outcome, node?: NodeSlots): void {
    const result = record.finish(partial)
    if (!result) return
    this.books.close(record, result)
    this.locality.unwant(record)
    this.observer.taskFinished?.(result)
    const ready = this.late.finished(result, record)
    if (node && this.locality.placement)
      for (const dependent of ready.slice(0, record.spec.slots)) {
        dependent.claim = node
        node.claimed++
      }
  }

  // A dependent's inputs were resolved: one that names nothing fails it (and so skips its own
  // dependents), not the batch; one that ran with the same inputs before is done (--resume).
  private lateSettled(record: TaskRecord, verdict: LateVerdict): void {
    if (record.claim) record.claim.claimed--
    record.claim = undefined
    if (this.locality.placement) this.locality.want(record, this.inputsOf(record))
    const i = this.waiting.indexOf(record)
    if (i >= 0 && ('reason' in verdict || verdict.done)) {
      this.waiting.splice(i, 1)
      if ('reason' in verdict) this.finish(record, 'failed', verdict.reason)
      else this.record(record, { status: 'succeeded', reason: 'already succeeded (--resume)' })
    }
    this.pump()
  }
}
