// Hands a batch's tasks to nodes: a task is ready when the tasks it comes after have succeeded; a ready
// task goes to a node that meets its requirements and has free slots; the node must grant a lease
// (another submitter may have won the slot); then its inputs are uploaded, it runs, its files come back.
import path from 'node:path'
import type { NodeInfo } from '../protocol/index.js'
import type { ResolvedInput, TaskSpec } from '../tasks/index.js'
import { FileSink } from '../transfer/file-sink.js'
import { HashCache } from '../transfer/hash.js'
import type { NodeClient } from './node-client.js'
import { unmetRequirement } from './requirements.js'
import type { SubmitObserver, TaskResult } from './result.js'

export interface BatchPlan {
  tasks: TaskSpec[]
  inputs: Map<string, ResolvedInput[]>
  /** Where returned files are written: `dest` itself, or `dest/<task name>/` with perTaskFolders. */
  dest: string
  perTaskFolders: boolean
}

/** How long a node that refused a reservation is left alone before it is asked again. */
const REFUSAL_BACKOFF_MS = 200

type Outcome = Partial<TaskResult> & Pick<TaskResult, 'status'>

interface Slotted {
  client: NodeClient
  inflight: number
  refusedUntil: number
}

export class Scheduler {
  private readonly nodes: Slotted[] = []
  private readonly results = new Map<string, TaskResult>()
  private readonly attempts = new Map<string, number>()
  private readonly running = new Map<string, { client: NodeClient; wireId: string }>()
  private readonly waiting: TaskSpec[]
  private readonly hashes = new HashCache()
  private nextWireId = 1
  private wake: NodeJS.Timeout | undefined
  private finish: () => void = () => {}
  private cancelled = false

  constructor(
    private readonly plan: BatchPlan,
    private readonly observer: SubmitObserver,
  ) {
    // Higher priority first; file order among equals.
    this.waiting = [...plan.tasks].sort((a, b) => b.priority - a.priority || a.line - b.line)
  }

  addNode(client: NodeClient): void {
    this.nodes.push({ client, inflight: 0, refusedUntil: 0 })
    this.observer.nodeAdded?.(client.info, client.url)
    this.pump()
  }

  async run(signal?: AbortSignal): Promise<TaskResult[]> {
    const done = new Promise<void>((resolve) => (this.finish = resolve))
    signal?.addEventListener('abort', () => this.cancel(), { once: true })
    if (signal?.aborted) this.cancel()
    this.pump()
    await done
    clearTimeout(this.wake)
    return this.plan.tasks.map((t) => this.results.get(t.name) as TaskResult)
  }

  /** Stops handing out tasks and cancels every running one on its node. */
  cancel(): void {
    this.cancelled = true
    for (const { client, wireId } of this.running.values()) client.cancel(wireId)
    for (const task of this.waiting.splice(0)) this.record(task, { status: 'cancelled', reason: 'cancelled before it started' })
    this.pump()
  }

  private pump(): void {
    clearTimeout(this.wake)
    const now = Date.now()
    for (let i = 0; i < this.waiting.length; i++) {
      const task = this.waiting[i] as TaskSpec
      const blocked = this.blockedBy(task)
      if (blocked === 'wait') continue
      if (blocked) {
        this.waiting.splice(i--, 1)
        this.record(task, { status: 'skipped', reason: blocked })
        continue
      }
      const live = this.nodes.filter((n) => n.client.connected)
      const fitting = live.filter((n) => unmetRequirement(task, n.client.info) === undefined)
      if (fitting.length === 0 && this.running.size === 0 && live.length > 0) {
        this.waiting.splice(i--, 1)
        const why = live.map((n) => `${n.client.info.name}: ${unmetRequirement(task, n.client.info)}`).join('; ')
        this.record(task, { status: 'failed', reason: `no node can run it (${why})` })
        continue
      }
      const node = fitting
        .filter((n) => n.refusedUntil <= now && n.client.info.slots - n.inflight >= task.slots)
        .sort((a, b) => a.inflight / a.client.info.slots - b.inflight / b.client.info.slots)[0]
      if (!node) continue
      this.waiting.splice(i--, 1)
      void this.launch(task, node)
    }
    if (this.waiting.length > 0 && this.running.size === 0 && !this.nodes.some((n) => n.client.connected)) {
      for (const task of this.waiting.splice(0)) this.record(task, { status: 'failed', reason: 'no node left to run it' })
    }
    if (this.waiting.length > 0 && this.nodes.some((n) => n.refusedUntil > now)) {
      this.wake = setTimeout(() => this.pump(), REFUSAL_BACKOFF_MS)
    }
    if (this.waiting.length === 0 && this.running.size === 0) this.finish()
  }

  /** 'wait' while a dependency is pending; a reason when one failed; undefined when ready. */
  private blockedBy(task: TaskSpec): 'wait' | string | undefined {
    for (const name of task.after) {
      const result = this.results.get(name)
      if (!result) return 'wait'
      if (result.status !== 'succeeded') return `skipped because ${name} ${result.status}`
    }
    return undefined
  }

  private async launch(task: TaskSpec, node: Slotted): Promise<void> {
    const { client } = node
    const wireId = String(this.nextWireId++)
    const attempt = (this.attempts.get(task.name) ?? 0) + 1
    node.inflight += task.slots
    this.running.set(task.name, { client, wireId })
    const dest = this.plan.perTaskFolders ? path.join(this.plan.dest, task.name) : this.plan.dest
    const sink = new FileSink(dest)
    let outcome: Outcome | 'requeue'
    try {
      const lease = await client.reserve(task.slots)
      if (lease === undefined) {
        node.refusedUntil = Date.now() + REFUSAL_BACKOFF_MS
        outcome = 'requeue'
      } else {
        this.attempts.set(task.name, attempt)
        outcome = await this.attempt(task, client, lease, wireId, sink, attempt)
      }
    } catch (error) {
      await sink.abort()
      // The node was lost, not the task's fault: run it elsewhere, without spending a retry.
      outcome = client.connected ? { status: 'failed', reason: (error as Error).message } : 'requeue'
      if (!client.connected) this.observer.nodeLost?.(client.info, client.lostReason ?? 'lost')
    }
    node.inflight -= task.slots
    this.running.delete(task.name)
    if (outcome === 'requeue' && !this.cancelled) {
      this.waiting.unshift(task)
    } else if (outcome !== 'requeue' && outcome.status === 'failed' && attempt <= task.retries && !this.cancelled) {
      this.waiting.unshift(task)
    } else {
      this.record(
        task,
        outcome === 'requeue'
          ? { status: 'cancelled', reason: 'cancelled' }
          : { ...outcome, node: client.info.name, bytesDown: sink.bytes },
      )
    }
    this.pump()
  }

  private async attempt(
    task: TaskSpec,
    client: NodeClient,
    lease: string,
    wireId: string,
    sink: FileSink,
    attempt: number,
  ): Promise<Outcome> {
    const inputs = this.plan.inputs.get(task.name) ?? []
    const blobs = await Promise.all(
      inputs.map(async (input) => ({ ...input, digest: await this.hashes.digest(input.absPath, input.size, input.mtimeMs) })),
    )
    const bytesUp = await client.ensureBlobs(blobs)
    const info: NodeInfo = client.info
    const exit = await client.run(
      {
        lease,
        task: wireId,
        name: task.name,
        command: task.command,
        env: task.env,
        files: blobs.map((b) => ({ path: b.path, digest: b.digest, mode: b.mode & 0o777 })),
        outputs: task.outputs,
        ...(task.timeoutMs === undefined ? {} : { timeoutMs: task.timeoutMs }),
      },
      {
        onStarted: () => this.observer.taskStarted?.(task, info, attempt),
        onOutput: (stream, data) => this.observer.taskOutput?.(task, stream, data),
        onProgress: (percent, text) => this.observer.taskProgress?.(task, percent, text),
        onFile: (m) => sink.write(m.path, m.offset, m.data, m.final, m.mode),
      },
    )
    const ok = exit.exitCode === 0 && !exit.timedOut && exit.error === undefined
    const reason =
      exit.error ??
      (exit.timedOut
        ? `timed out after ${task.timeoutMs} ms`
        : exit.signal
          ? `killed by ${exit.signal}`
          : ok
            ? undefined
            : `exit code ${exit.exitCode}`)
    return {
      status: this.cancelled ? 'cancelled' : ok ? 'succeeded' : 'failed',
      exitCode: exit.exitCode,
      signal: exit.signal,
      timedOut: exit.timedOut,
      durationMs: exit.durationMs,
      files: sink.written,
      deleted: exit.deleted,
      skipped: exit.skipped,
      bytesUp,
      ...(reason === undefined ? {} : { reason }),
    }
  }

  private record(task: TaskSpec, partial: Outcome): void {
    const result: TaskResult = {
      name: task.name,
      line: task.line,
      exitCode: null,
      signal: null,
      timedOut: false,
      durationMs: 0,
      files: [],
      deleted: [],
      skipped: [],
      bytesUp: 0,
      bytesDown: 0,
      ...partial,
      attempts: this.attempts.get(task.name) ?? 0,
    }
    this.results.set(task.name, result)
    this.observer.taskFinished?.(result)
  }
}
