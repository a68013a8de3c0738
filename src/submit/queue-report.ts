// What a batch tells its nodes it holds back (a `queue` frame, docs/PROTOCOL.md): how many of its tasks
// wait for their dependencies, the first of them with what they wait for, and how many are ready but not
// started; monitors (`distw status`, `distw top`) read it from the nodes. Built on a timer, every
// QUEUE_REPORT_MS and only when the scheduler's counters moved, and sent to a node only when it differs
// from what that node last got: a task costs nothing here but the counters it already moves.
import { randomUUID } from 'node:crypto'
import {
  QUEUE_LISTED_AFTER,
  QUEUE_LISTED_TASKS,
  QUEUE_NAME_CHARS,
  QUEUE_REPORT_MS,
  type MessageOf,
  type WaitingTask,
} from '../protocol/index.js'

export type QueueSummary = Omit<MessageOf<'queue'>, 'v' | 'type'>

/** The tasks that wait for their dependencies (late-inputs.ts), read on the report's timer only. */
export interface QueueSource {
  /** Moves whenever those tasks, or the dependencies they wait for, changed. */
  readonly version: number
  readonly waitingCount: number
  /** Those tasks, first queued first, each with the dependencies it still waits for. */
  blocked(): Iterable<{ name: string; after: readonly string[] }>
}

/** A node the report goes to (a TaskNode). */
export interface QueueSink {
  readonly connected: boolean
  queue(summary: QueueSummary): void
}

const cut = (name: string): string => name.slice(0, QUEUE_NAME_CHARS)

/** The summary as the protocol bounds it: at most QUEUE_LISTED_TASKS tasks, QUEUE_LISTED_AFTER dependencies each, names cut. */
export function summarise(batch: string, source: QueueSource, queued: number): QueueSummary {
  const tasks: WaitingTask[] = []
  for (const task of source.blocked()) {
    if (tasks.length === QUEUE_LISTED_TASKS) break
    const after = task.after.slice(0, QUEUE_LISTED_AFTER).map(cut)
    tasks.push({ name: cut(task.name), after, more: task.after.length - after.length })
  }
  const waiting = source.waitingCount
  return { batch, waiting, ready: Math.max(0, queued - waiting), tasks }
}

const isEmpty = (s: QueueSummary): boolean => s.waiting === 0 && s.ready === 0 && s.tasks.length === 0

/**
 * Tells a batch's nodes what it holds back, at most every `intervalMs`; started with the batch, stopped
 * at its end (the nodes also forget it when the connection closes).
 */
export class QueueReport {
  /** One batch, however many nodes it tells: a monitor reading several counts it once. */
  readonly batch = randomUUID()
  private timer: NodeJS.Timeout | undefined
  /** The counters the summary was built from; a new summary only when they moved. */
  private mark = ''
  private summary: QueueSummary
  /** What each node was last sent (its mark). */
  private readonly sent = new WeakMap<QueueSink, string>()
  /** Nodes that hold a summary of this batch with something in it. */
  private readonly told = new WeakSet<QueueSink>()

  constructor(
    private readonly source: QueueSource,
    /** Tasks queued in the scheduler, those waiting for dependencies included. */
    private readonly queued: () => number,
    private readonly sinks: () => Iterable<QueueSink>,
    private readonly intervalMs = QUEUE_REPORT_MS,
  ) {
    this.summary = { batch: this.batch, waiting: 0, ready: 0, tasks: [] }
  }

  start(): void {
    this.timer ??= setInterval(() => this.tick(), this.intervalMs)
    this.timer.unref()
  }

  /** The batch ended: a node that was told of waiting tasks is told there are none (its monitors stop showing them). */
  stop(): void {
    clearInterval(this.timer)
    this.timer = undefined
    this.mark = 'ended'
    this.summary = { batch: this.batch, waiting: 0, ready: 0, tasks: [] }
    this.sendChanged()
  }

  /** One turn of the timer (public for tests): rebuild if the counters moved, send to each node that lacks it. */
  tick(): void {
    const queued = this.queued()
    const mark = `${this.source.version}:${this.source.waitingCount}:${queued}`
    if (mark !== this.mark) {
      this.mark = mark
      this.summary = summarise(this.batch, this.source, queued)
    }
    this.sendChanged()
  }

  private sendChanged(): void {
    const empty = isEmpty(this.summary)
    for (const sink of this.sinks()) {
      if (!sink.connected || this.sent.get(sink) === this.mark) continue
      this.sent.set(sink, this.mark)
      // A node that holds nothing of this batch needs no word that there is nothing.
      if (empty && !this.told.has(sink)) continue
      sink.queue(this.summary)
      if (empty) this.told.delete(sink)
      else this.told.add(sink)
    }
  }
}
