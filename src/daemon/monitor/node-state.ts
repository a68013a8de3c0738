// What this node is doing, as monitors see it: running tasks (who submitted them, since when, their
// progress, the command and the tail of their output), the last finished ones, and what its submitters
// hold back (their `queue` frames: tasks waiting for dependencies). Every field is bounded, so a
// snapshot stays small whatever the tasks print.
import { EventEmitter } from 'node:events'
import os from 'node:os'
import {
  QUEUES_PER_STATE,
  type FinishedTask,
  type MessageOf,
  type NodeInfo,
  type Outgoing,
  type RunningTask,
  type SubmitterQueue,
  type TaskTreeInfo,
} from '../../protocol/index.js'
import type { Progress } from '../run/progress-lines.js'
import type { SlotTable } from '../policy/slots.js'
import type { TaskWatcher } from '../run/task-run.js'

/** How many finished tasks a snapshot lists. */
export const RECENT_TASKS = 20
/** Bytes of a task's latest output kept for monitors. */
export const TAIL_BYTES = 1024
/** Characters of a task's command kept for monitors. */
export const COMMAND_CHARS = 1024

interface Running {
  id: string
  name: string
  client: string
  startedAt: number
  command: string
  progress: Progress | undefined
  tail: Buffer
  cancel: () => void
  /** Waiting for the owner's approval of its program, since when (performance.now()). */
  held: { digest: string; program: string; since: number } | undefined
}

interface Finished extends Omit<FinishedTask, 'agoMs'> {
  endedAt: number
}

export interface TaskEntry {
  id: string
  watcher: TaskWatcher
  ended(outcome: { ok: boolean; exitCode: number | null; durationMs: number }): void
}

/** A submitter session's latest `queue` frame, with its client name and when it came (performance.now()). */
interface Reported {
  client: string
  report: MessageOf<'queue'>
  at: number
}

export type CancelOutcome = 'cancelled' | 'unknown' | 'not-yours'

export class NodeState extends EventEmitter<{ change: [] }> {
  /** Bumped on every change a monitor would see (not on elapsed time passing). */
  version = 0
  private nextId = 1
  private readonly running = new Map<string, Running>()
  private readonly recent: Finished[] = []
  private succeeded = 0
  private failed = 0
  /** Runs sent ahead (pipelining), waiting behind a running task of the same lease. */
  private queued = 0
  /** The latest `queue` of each submitter session that holds tasks back, by session, in the order they first reported. */
  private readonly queues = new Map<string, Reported>()

  constructor(
    readonly info: NodeInfo,
    private readonly slots: SlotTable,
    /** Why the node policy refuses new tasks now (hours, load, budget), if it does: shown as `draining`. */
    private readonly pauseReason: () => string | undefined = () => undefined,
    /** The blob cache's bytes and cap, when the node has one. */
    private readonly cache?: () => { usedBytes: number; capBytes: number },
    /** How the node kills a task's process tree, for `distw status`. */
    private readonly tree?: TaskTreeInfo,
  ) {
    super()
  }

  /** Registers a task that starts running; the returned entry feeds its progress, output and end. */
  taskStarted(task: { name: string; client: string; command: string; cancel: () => void }): TaskEntry {
    const id = `t${this.nextId++}`
    const entry: Running = {
      id,
      name: task.name,
      client: task.client,
      command: task.command.slice(0, COMMAND_CHARS),
      startedAt: performance.now(),
      progress: undefined,
      tail: Buffer.alloc(0),
      cancel: task.cancel,
      held: undefined,
    }
    this.running.set(id, entry)
    this.changed()
    return {
      id,
      watcher: {
        progress: (progress) => {
          entry.progress = progress
          this.changed()
        },
        output: (_stream, data) => {
          const joined = Buffer.concat([entry.tail, data.subarray(Math.max(0, data.length - TAIL_BYTES))])
          entry.tail = joined.subarray(Math.max(0, joined.length - TAIL_BYTES))
          this.changed()
        },
        held: (program) => {
          if (program === undefined && entry.held === undefined) return
          entry.held = program && { ...program, since: performance.now() }
          this.changed()
        },
      },
      ended: (outcome) => {
        this.running.delete(id)
        if (outcome.ok) this.succeeded++
        else this.failed++
        this.recent.unshift({ id, name: entry.name, client: entry.client, ...outcome, endedAt: performance.now() })
        this.recent.length = Math.min(this.recent.length, RECENT_TASKS)
        this.changed()
      },
    }
  }

  /** A run was queued behind a running task (+1), or left the queue (−1): started, withdrawn, dropped. */
  queuedChanged(delta: number): void {
    this.queued = Math.max(0, this.queued + delta)
    this.changed()
  }

  /**
   * A submitter session's latest `queue` frame replaces its previous one; an empty one, or undefined
   * (the session ended), forgets it. Bounded by the sessions open, each by the frame's own limits.
   */
  queueReported(session: string, client: string, report: MessageOf<'queue'> | undefined): void {
    if (report === undefined || (report.waiting === 0 && report.ready === 0 && report.tasks.length === 0)) {
      if (this.queues.delete(session)) this.changed()
      return
    }
    this.queues.set(session, { client, report, at: performance.now() })
    this.changed()
  }

  /** A monitor's cancel: allowed only for tasks submitted under the monitor's own client name. */
  cancel(id: string, client: string): CancelOutcome {
    const task = this.running.get(id)
    if (!task) return 'unknown'
    if (task.client !== client) return 'not-yours'
    task.cancel()
    return 'cancelled'
  }

  /** A `state` message as seen by the monitor whose client name is `viewer` (it marks its own tasks). */
  snapshot(viewer: string): Outgoing {
    const now = performance.now()
    const slotsUsed = this.slots.total - this.slots.free
    const running: RunningTask[] = [...this.running.values()].map((t) => ({
      id: t.id,
      name: t.name,
      client: t.client,
      elapsedMs: Math.round(now - t.startedAt),
      percent: t.progress?.percent ?? null,
      text: t.progress?.text ?? '',
      command: t.command,
      tail: tailText(t.tail),
      mine: t.client === viewer,
      ...(t.held
        ? { held: { digest: t.held.digest, program: t.held.program.slice(0, 4096), sinceMs: Math.round(now - t.held.since) } }
        : {}),
    }))
    const pauseReason = this.pauseReason()
    const recent: FinishedTask[] = this.recent.map(({ endedAt, ...f }) => ({ ...f, agoMs: Math.round(now - endedAt) }))
    return {
      type: 'state',
      node: this.info,
      slotsUsed,
      load: Math.max(0, os.loadavg()[0] ?? 0),
      // HTCondor's word: no new work is taken, and what runs is left to finish (or evicted).
      state: pauseReason !== undefined ? 'draining' : slotsUsed > 0 ? 'busy' : 'idle',
      ...(pauseReason === undefined ? {} : { pauseReason: pauseReason.slice(0, 200) }),
      running,
      ...(this.queued > 0 ? { queued: this.queued } : {}),
      recent,
      succeeded: this.succeeded,
      failed: this.failed,
      ...(this.cache ? { cache: this.cache() } : {}),
      ...(this.tree ? { tree: this.tree } : {}),
      ...(this.queues.size > 0 ? { queues: this.queueList(now, viewer) } : {}),
    }
  }

  private queueList(now: number, viewer: string): SubmitterQueue[] {
    const list: SubmitterQueue[] = []
    for (const { client, report, at } of this.queues.values()) {
      if (list.length === QUEUES_PER_STATE) break
      const { batch, waiting, ready, tasks } = report
      list.push({ client, batch, waiting, ready, tasks, ageMs: Math.round(now - at), mine: client === viewer })
    }
    return list
  }

  /** Changes cheap enough to compare: the version plus the slot count (leases come and go without tasks). */
  signature(): string {
    return `${this.version}:${this.slots.free}`
  }

  private changed(): void {
    this.version++
    this.emit('change')
  }
}

/**
 * The kept end of a task's output as text. The last TAIL_BYTES can begin inside a multi-byte
 * character; its leftover continuation bytes are dropped rather than shown as U+FFFD.
 */
export function tailText(tail: Buffer): string {
  let start = 0
  while (start < 3 && start < tail.length && ((tail[start] ?? 0) & 0xc0) === 0x80) start++
  return tail.subarray(start).toString('utf8')
}
