// Hands a batch's tasks to nodes: a task is ready when the tasks it comes after have succeeded; a ready
// task goes to a node that meets its requirements and has free slots (placement.ts); the node must
// grant a lease (another submitter may have won the slot, and then the node says when slots come
// free); then its inputs are uploaded, it runs, its files come back (attempt.ts); verdict.ts judges
// whether it counts, attempt-end.ts what follows. A task's state is its TaskRecord; the nodes (joined,
// suspect, lost, dialled again) are roster.ts's. Tasks come in through `intake` (scheduler-intake.ts):
// all at once, or a stream's as lines are read; a finished task leaves only its name's state and the
// counters (task-books.ts).
import path from 'node:path'
import type { ResolvedInput, TaskSpec } from '../tasks/index.js'
import { HashCache } from '../transfer/hash.js'
import { Attempt, type AttemptHost, type LeaseSource } from './attempt.js'
import { endAttempt, type AttemptEndHost } from './attempt-end.js'
import { digestInputs, type Digested } from './input-digests.js'
import type { NodeSlots } from './node-slots.js'
import { followable, PIPELINE_BELOW_MS, type OpenLease } from './pipeline.js'
import { place, releaseKept, type Placer } from './placement.js'
import type { SubmitObserver, TaskResult } from './result.js'
import { Roster } from './roster.js'
import type { TaskNode } from './task-node.js'
import type { TaskRecord } from './task-record.js'
import type { Outcome } from './verdict.js'
import { LateInputs, type LateVerdict } from './late-inputs.js'
import type { NameState } from './name-book.js'
import { SchedulerIntake } from './scheduler-intake.js'
import { StreamGate } from './stream-gate.js'
import { WaitNotice } from './wait-notice.js'
import { TaskBooks } from './task-books.js'
import { TaskQueue } from './task-queue.js'
import { HaltCount } from './halt.js'
import type { ScheduleOptions } from './schedule-options.js'
import { BlobBook } from './blob-book.js'
import { Locality } from './locality.js'
import type { LocalityHold } from './locality-wait.js'
import { QueueReport } from './queue-report.js'

export { MAX_LOST_RUNS } from './verdict.js'
export type { HaltPolicy, ScheduleOptions } from './schedule-options.js'
export { BACKLOG_HIGH } from './stream-gate.js'

export class Scheduler implements AttemptHost, AttemptEndHost, Placer {
  /** The batch's nodes (roster.ts). */
  private readonly roster: Roster
  /** The queue: higher priority first, file order among equals; a requeued task goes back to its head. */
  readonly waiting = new TaskQueue()
  /** Records of the tasks not finished, every name's state, the counters, the kept results (task-books.ts). */
  readonly books: TaskBooks
  /** What a stream of lines feeds (intake.ts); a batch read whole is queued through it at once. */
  readonly intake: SchedulerIntake
  /** The tasks that come after others. */
  private readonly late: LateInputs
  private readonly active = new Set<Attempt>()
  private readonly hashes: HashCache
  readonly locality: Locality
  /** Open while more tasks may come (a stream): the batch does not end while the queue is empty. */
  private readonly input: StreamGate
  readonly haltCount: HaltCount
  /** Running average of the batch's task durations: pipelining is for short tasks. */
  private recentMs: number | undefined
  /** What the batch waits for while it runs nothing and tasks wait, said (wait-notice.ts). */
  private readonly notice: WaitNotice
  /** Its tasks waiting for dependencies, told to its nodes for their monitors (queue-report.ts). */
  private readonly report: QueueReport
  private finishBatch: () => void = () => {}
  private started = false
  private stopped = false
  /** The batch ended: connections closing now are not news. */
  private over = false

  constructor(
    private readonly plan: ScheduleOptions,
    readonly observer: SubmitObserver,
  ) {
    this.roster = new Roster(
      observer,
      () => this.over,
      () => this.pump(),
    )
    this.notice = new WaitNotice(observer, () => this.pump())
    this.haltCount = new HaltCount(plan.halt)
    this.hashes = plan.hashes ?? new HashCache()
    this.locality = plan.locality ?? new Locality(new BlobBook(), this.hashes)
    this.books = new TaskBooks(plan.stream === true, plan.inputs)
    this.input = new StreamGate(plan.stream === true, () => this.waiting.length - this.late.waitingCount)
    this.late = new LateInputs(
      plan,
      (name) => this.books.names.get(name),
      (record, verdict) => this.lateSettled(record, verdict),
    )
    this.report = new QueueReport(
      this.late,
      () => this.waiting.length,
      () => this.roster.live().map((n) => n.client),
    )
    const stream = plan.stream ? { source: plan.source ?? 'tasks' } : undefined
    this.intake = new SchedulerIntake(this.books, this.input, observer, stream, {
      running: () => !this.stopped && !this.haltCount.halted,
      asked: (task) => this.roster.ask(task),
      queue: (record) => {
        this.waiting.enqueue(record)
        // A node with a free slot finds the tasks whose inputs it holds, wherever they are in the queue.
        if (this.locality.placement) this.locality.want(record, this.inputsOf(record))
        this.late.add(record)
      },
      resumed: (record) => this.record(record, { status: 'succeeded', reason: 'already succeeded (--resume)' }),
      fail: (record, message) => {
        this.waiting.remove(record)
        this.finish(record, 'failed', message)
      },
      failure: () => this.countEnd('failed'),
      pump: () => this.pump(),
    })
    const order = [...plan.tasks].sort((a, b) => b.priority - a.priority || a.line - b.line)
    for (const task of order) this.books.names.claim(task.name, task.line)
    this.intake.add(order.map((task) => ({ task, done: plan.done?.has(task.name) ?? false })))
  }

  /** Adds a node, also mid-batch (discovery). Its loss is handled here: its tasks are re-queued. */
  addNode(client: TaskNode): void {
    this.roster.add(client)
  }

  /** Discovery stopped hearing `client`'s node: no new task there until it answers (roster.ts). */
  suspectNode(client: TaskNode): void {
    this.roster.suspect(client)
  }

  /** A lost node may come back: its tasks wait for it until the returned function is called (roster.ts). */
  expectNode(label: string): () => void {
    return this.roster.expect(label)
  }

  get nodes(): readonly NodeSlots[] {
    return this.roster.nodes
  }

  /** Tells the observer what the batch waits for (undefined: it waits no more), once per change. */
  waitFor(reason: string | undefined): void {
    this.notice.say(reason)
  }

  async run(signal?: AbortSignal): Promise<TaskResult[]> {
    const done = new Promise<void>((resolve) => (this.finishBatch = resolve))
    signal?.addEventListener('abort', () => this.cancel(), { once: true })
    if (signal?.aborted) this.cancel()
    this.started = true
    this.report.start()
    this.pump()
    await done
    this.report.stop()
    this.notice.end()
    this.over = true
    this.roster.stop()
    return this.books.tally.results(this.plan.tasks)
  }

  /** Stops handing out tasks and cancels every running one on its node. */
  cancel(reason = 'cancelled before it started'): void {
    this.stopped = true
    this.input.close()
    for (const attempt of this.active) attempt.node.client.cancel(attempt.token)
    for (const record of this.waiting.drain()) this.record(record, { status: 'cancelled', reason })
    this.pump()
  }

  private pump(): void {
    if (!this.started) return
    place(this)
    // A kept lease no ready task could use (another slot count or lock) goes back to the node, and its
    // slots are placed again at once: the release reaches the node before any reservation that follows
    // on the same connection, and no `free` notice would come for it (we were not refused).
    if (releaseKept(this.nodes) && this.waiting.length > 0) place(this)
    const live = this.roster.live()
    if (this.waiting.length > 0 && this.active.size === 0 && this.roster.gone(live)) {
      for (const record of this.waiting.drain()) this.record(record, { status: 'failed', reason: 'no node left to run it' })
    }
    this.roster.retryRefused(this.waiting.length > 0, live)
    // Running nothing while tasks wait: the user is told for what (no silent waits). A probe answers in
    // a round trip: not worth a word.
    if (this.waiting.length > 0 && this.active.size === 0 && this.late.resolving === 0 && !live.some((n) => n.probed === undefined))
      this.waitFor(this.roster.waitReason())
    this.input.changed()
    if (this.waiting.length === 0 && this.active.size === 0 && !this.input.open) this.finishBatch()
  }

  /** Cancelled (Ctrl-C, --halt now): an attempt that did not succeed is reported as cancelled. */
  get cancelled(): boolean {
    return this.stopped
  }

  get halted(): boolean {
    return this.haltCount.halted
  }

  // Placer: placement hands a task to a node (or finishes it) through these.
  state(name: string): NameState | undefined {
    return this.books.names.get(name)
  }

  finish(record: TaskRecord, status: 'skipped' | 'failed', reason: string): void {
    this.conclude(record, { status, reason })
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
    this.notice.hold(hold)
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

  // A lease whose chain of queued runs is full takes no task now (its exit frees a place): no pass is
  // worth making for it. With short tasks that is the common case, and halves the passes a task.
  opened(node: NodeSlots, open: OpenLease): void {
    node.open.push(open)
    if (followable(open)) this.pump()
  }

  exited(durationMs: number): void {
    this.recentMs = this.recentMs === undefined ? durationMs : 0.8 * this.recentMs + 0.2 * durationMs
  }

  hasInputs(task: TaskSpec): boolean {
    return (this.plan.inputs.get(task.name)?.length ?? 0) > 0
  }

  // A file the node returned and kept is named by the node's digest there, unhashed (Locality.keptOn).
  digested(task: TaskSpec, node: string): Promise<Digested[]> {
    return digestInputs(this.plan.inputs.get(task.name) ?? [], this.hashes, (file) => this.locality.keptOn(node, file))
  }

  // Runs one attempt, then acts on how it ended (attempt-end.ts).
  private async attempt(attempt: Attempt, record: TaskRecord): Promise<void> {
    this.active.add(attempt)
    const end = await attempt.run()
    this.active.delete(attempt)
    endAttempt(this, attempt, record, end)
    this.pump()
  }

  // AttemptEndHost (and Placer's finish): the task's result, which counts towards --halt.
  conclude(record: TaskRecord, outcome: Outcome, node?: NodeSlots): void {
    this.record(record, outcome, node)
    this.countEnd(outcome.status)
  }

  private countEnd(status: Outcome['status']): void {
    const halt = this.haltCount.add(status)
    if (!halt) return
    this.input.close() // a stream reads no more
    this.observer.warning?.(halt.warning)
    if (halt.when === 'now') this.cancel('halted')
    else for (const record of this.waiting.drain()) this.record(record, { status: 'cancelled', reason: 'halted' })
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
      this.waiting.removeAt(i)
      if ('reason' in verdict) this.finish(record, 'failed', verdict.reason)
      else this.record(record, { status: 'succeeded', reason: 'already succeeded (--resume)' })
    }
    this.pump()
  }
}
