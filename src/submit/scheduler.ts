// Hands a batch's tasks to nodes: a task is ready when the tasks it comes after have succeeded; a ready
// task goes to a node that meets its requirements and has free slots; the node must grant a lease
// (another submitter may have won the slot, and then the node says when slots come free); then its
// inputs are uploaded, it runs, its files come back. A lost node's tasks go back to the queue.
import { randomBytes } from 'node:crypto'
import path from 'node:path'
import type { MessageOf, NodeInfo } from '../protocol/index.js'
import type { ResolvedInput, TaskSpec } from '../tasks/index.js'
import { FileSink } from '../transfer/file-sink.js'
import { ExternalError } from '../errors.js'
import { HashCache, stampedNow } from '../transfer/hash.js'
import { AttemptOutput } from './attempt-output.js'
import { InputChanged, LeaseNotHeld, type NodeClient } from '../client/node-client.js'
import { anyFollowable, followableLease, Follower, openLease, PIPELINE_BELOW_MS, type OpenLease } from './pipeline.js'
import { probeQuestions, unmetRequirement, type ProbeAnswers } from './requirements.js'
import type { AttemptRecord, SubmitObserver, TaskResult } from './result.js'

/** A task input with its digest, as the file was when it was hashed. */
type Digested = ResolvedInput & { digest: string }

export interface BatchPlan {
  tasks: TaskSpec[]
  inputs: Map<string, ResolvedInput[]>
  /** Where returned files are written: `dest` itself, or `dest/<task name>/` with perTaskFolders. */
  dest: string
  perTaskFolders: boolean
  /** Tasks that already succeeded in an earlier run (--resume): reported as such, not run. */
  done?: ReadonlySet<string>
  /** Stop after this many failures: `soon` lets running tasks finish, `now` cancels them. */
  halt?: HaltPolicy
  /** Shared with whoever hashed the inputs before (task digests), so no file is hashed twice. */
  hashes?: HashCache
  /** false: never queue a task behind a running one (see PIPELINE_BELOW_MS). Default true. */
  pipeline?: boolean
  /** `-j N`: at most this many tasks of the batch launched at once, across every node. */
  jobs?: number
}

export interface HaltPolicy {
  when: 'now' | 'soon'
  failures: number
}

/** A node that refused is asked again when it announces free slots, or after this long at the latest. */
const REFUSAL_FALLBACK_MS = 5_000
/**
 * A task whose node was lost this many times while it ran is failed: a node lost is not the task's
 * fault, but one that takes its node down each time (memory, a reboot) would otherwise run forever
 * once the node comes back (BatchNodes dials it again).
 */
export const MAX_LOST_RUNS = 3
const PROBE_BATCH = 256

type Outcome = Partial<TaskResult> & Pick<TaskResult, 'status'>

interface NodeState {
  client: NodeClient
  inflight: number
  refused: boolean
  /** Counts `free` notices: a refusal answered by a notice that already arrived must not stick. */
  freeNotices: number
  locks: Set<string>
  /** Undefined until the node has answered the probe. */
  probed: ProbeAnswers | undefined
  /** Discovery stopped hearing it: no new task until it answers over its connection (see suspectNode). */
  suspect: boolean
  /** Leases the node kept for us after a task ended (claim reuse): the next pump uses or releases them. */
  kept: KeptLease[]
  /** Leases running a task of ours that asked to keep them, with no task queued behind yet (pipelining). */
  open: OpenLease[]
  /** The node's last answer to `keep` was no (another submitter waits, or its policy pauses it): a
   *  task queued behind a lease there would only be refused, so none is until a lease is kept again. */
  contended: boolean
}

interface KeptLease {
  lease: string
  slots: number
  lock: string | undefined
}

interface Running {
  node: NodeState
  /** The attempt's token: the wire task id. Results carrying another token are stale and ignored. */
  token: string
}

export class Scheduler {
  private readonly nodes: NodeState[] = []
  private readonly results = new Map<string, TaskResult>()
  private readonly attempts = new Map<string, number>()
  private readonly running = new Map<string, Running>()
  /** Nodes a task already ran on and failed: a retry prefers another. */
  private readonly tried = new Map<string, Set<NodeClient>>()
  /** How many times each task's node was lost while the task ran. */
  private readonly lostRuns = new Map<string, number>()
  private readonly waiting: TaskSpec[]
  private readonly hashes: HashCache
  private readonly questions: { tools: string[]; env: string[] }
  private failures = 0
  /** Running average of the batch's task durations: pipelining is for short tasks. */
  private recentMs: number | undefined
  /** Nodes being dialled (expectNode), by what the batch then waits for: while any is, waiting tasks wait. */
  private readonly expected = new Set<{ label: string }>()
  /** What the batch waits for while it runs nothing and tasks wait (said to the observer when it changes). */
  private waitingFor: string | undefined
  private wake: NodeJS.Timeout | undefined
  private finish: () => void = () => {}
  private started = false
  private cancelled = false
  private halted = false
  /** The batch ended: connections closing now are not news. */
  private over = false

  constructor(
    private readonly plan: BatchPlan,
    private readonly observer: SubmitObserver,
  ) {
    this.hashes = plan.hashes ?? new HashCache()
    // Higher priority first; file order among equals.
    const order = [...plan.tasks].sort((a, b) => b.priority - a.priority || a.line - b.line)
    this.waiting = order.filter((t) => !plan.done?.has(t.name))
    this.questions = probeQuestions(this.waiting)
    for (const task of order) {
      if (plan.done?.has(task.name)) this.record(task, { status: 'succeeded', reason: 'already succeeded (--resume)' })
      else this.observer.taskQueued?.(task)
    }
  }

  /** Adds a node, also mid-batch (discovery). Its loss is handled here: its tasks are re-queued. */
  addNode(client: NodeClient): void {
    const node: NodeState = {
      client,
      inflight: 0,
      refused: false,
      freeNotices: 0,
      locks: new Set(),
      probed: undefined,
      suspect: false,
      kept: [],
      open: [],
      contended: false,
    }
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
    void this.probe(node)
  }

  /**
   * Discovery stopped hearing `client`'s node. Discovery is a hint (one missed answer is enough), so
   * the node is not dropped: its running tasks carry on over their connection, which (with its
   * heartbeat) alone decides whether the node is lost. It only gets no new task until it answers a
   * probe over that connection: at once if it is merely quiet on UDP, never if it has vanished (its
   * heartbeat then ends it), so no new task is sent to a node that is gone.
   */
  suspectNode(client: NodeClient): void {
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
   * wait for it instead of failing. Call it right when the loss is reported, before any await.
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
    const done = new Promise<void>((resolve) => (this.finish = resolve))
    signal?.addEventListener('abort', () => this.cancel(), { once: true })
    if (signal?.aborted) this.cancel()
    this.started = true
    this.pump()
    await done
    this.waitFor(undefined)
    this.over = true
    clearTimeout(this.wake)
    return this.plan.tasks.map((t) => this.results.get(t.name) as TaskResult)
  }

  /** Stops handing out tasks and cancels every running one on its node. */
  cancel(reason = 'cancelled before it started'): void {
    this.cancelled = true
    for (const { node, token } of this.running.values()) node.client.cancel(token)
    for (const task of this.waiting.splice(0)) this.record(task, { status: 'cancelled', reason })
    this.pump()
  }

  private async probe(node: NodeState): Promise<void> {
    const answers: ProbeAnswers = { tools: new Map(), env: new Map() }
    const { tools, env } = this.questions
    try {
      for (let i = 0; i < Math.max(tools.length, env.length); i += PROBE_BATCH) {
        const t = tools.slice(i, i + PROBE_BATCH)
        const e = env.slice(i, i + PROBE_BATCH)
        const reply = await node.client.probe(t, e)
        t.forEach((name, k) => answers.tools.set(name, reply.tools[k] === true))
        e.forEach((entry, k) => answers.env.set(entry, reply.env[k] === true))
      }
    } catch {
      // A node lost while probing is handled by its onLost.
    }
    node.probed = answers
    this.pump()
  }

  private pump(): void {
    if (!this.started) return
    clearTimeout(this.wake)
    this.place()
    // A kept lease no ready task could use (another slot count or lock) goes back to the node, and its
    // slots are placed again at once: the release reaches the node before any reservation that follows
    // on the same connection, and no `free` notice would come for it (we were not refused).
    if (this.releaseKept() && this.waiting.length > 0) this.place()
    const live = this.nodes.filter((n) => n.client.connected)
    if (this.waiting.length > 0 && this.running.size === 0 && live.length === 0 && this.expected.size === 0) {
      for (const task of this.waiting.splice(0)) this.record(task, { status: 'failed', reason: 'no node left to run it' })
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
    if (this.waiting.length > 0 && this.running.size === 0 && !live.some((n) => n.probed === undefined)) this.waitFor(this.waitReason())
    if (this.waiting.length === 0 && this.running.size === 0) this.finish()
  }

  // "alpha: paused: outside hours 19:00-07:00; beta: busy with other submitters (1 slot(s) asked, 0 free)".
  private waitReason(): string {
    const parts: string[] = []
    for (const n of this.nodes) {
      if (!n.client.connected) continue
      const name = n.client.info.name
      if (n.suspect) parts.push(`${name}: not heard on the LAN, asked over its connection`)
      else if (n.refused) parts.push(`${name}: ${refusal(n.client.lastRefusal)}`)
    }
    for (const { label } of this.expected) parts.push(label)
    return parts.length > 0 ? parts.join('; ') : 'a node with room for the next task'
  }

  /** Gives back every lease the nodes kept for us that no task took; true if there was any. */
  private releaseKept(): boolean {
    let released = false
    for (const n of this.nodes)
      for (const { lease } of n.kept.splice(0)) {
        released = true
        if (n.client.connected) n.client.release(lease)
      }
    return released
  }

  /** Hands ready tasks to nodes with room for them (or to leases they kept for us, or queues them behind). */
  private place(): void {
    const live = this.nodes.filter((n) => n.client.connected)
    const ready = live.filter((n) => n.probed !== undefined)
    const probing = live.length > ready.length
    const pipelining = this.pipelining()
    const followable = (n: NodeState): boolean => pipelining && !n.suspect && !n.contended && anyFollowable(n.open)
    const open = (n: NodeState): boolean => followable(n) || (!n.suspect && !n.refused && (freeSlots(n) > 0 || n.kept.length > 0))
    for (let i = 0; i < this.waiting.length; i++) {
      // With every slot taken, the rest waits for the next pump: a 10,000-task queue is not rescanned per event.
      if (!probing && !ready.some(open)) break
      if (this.plan.jobs !== undefined && this.running.size >= this.plan.jobs) break
      const task = this.waiting[i] as TaskSpec
      const blocked = this.blockedBy(task)
      if (blocked === 'wait') continue
      if (blocked) {
        this.waiting.splice(i--, 1)
        this.record(task, { status: 'skipped', reason: blocked })
        continue
      }
      const fitting = ready.filter((n) => unmetRequirement(task, n.client.info, n.probed) === undefined)
      if (fitting.length === 0 && !probing && live.length > 0) {
        this.waiting.splice(i--, 1)
        const why = live.map((n) => `${n.client.info.name}: ${unmetRequirement(task, n.client.info, n.probed)}`).join('; ')
        this.record(task, { status: 'failed', reason: `no node can run it (${why})` })
        this.countFailure()
        continue
      }
      const tried = this.tried.get(task.name)
      const fits = (n: NodeState): boolean =>
        !n.suspect &&
        (keptFor(n, task) >= 0 || (!n.refused && freeSlots(n) >= task.slots && (task.lock === undefined || !n.locks.has(task.lock))))
      const node = fitting
        .filter(fits)
        .sort((a, b) => Number(tried?.has(a.client) ?? false) - Number(tried?.has(b.client) ?? false) || load(a) - load(b))[0]
      if (!node) {
        const behind =
          task.lock === undefined
            ? followAt(
                fitting.filter((n) => followable(n) && !tried?.has(n.client)),
                task,
              )
            : undefined
        if (behind) {
          this.waiting.splice(i--, 1)
          void this.launch(task, behind.node, undefined, behind.open)
        }
        continue
      }
      this.waiting.splice(i--, 1)
      const k = keptFor(node, task)
      void this.launch(task, node, k >= 0 ? node.kept.splice(k, 1)[0]?.lease : undefined)
    }
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

  /**
   * Runs one attempt of `task` on `node`: on a lease the node kept for us, on a new reservation, or
   * queued `behind` a running task of ours, to start on its lease when it ends (pipelining).
   */
  private async launch(task: TaskSpec, node: NodeState, keptLease?: string, behind?: OpenLease): Promise<void> {
    const { client } = node
    const token = `${task.line}-${randomBytes(6).toString('hex')}`
    const attempt = (this.attempts.get(task.name) ?? 0) + 1
    let startedAt = Date.now()
    // A queued task takes over its predecessor's slot (and counts) only when that one's exit hands it on.
    // Taken back after waiting too long, the node answers that it never ran: it goes back to the queue.
    const follower = behind && new Follower(token, behind, () => client.connected && client.cancel(token))
    follower?.taken(() => (startedAt = Date.now()))
    const holds = (): boolean => follower === undefined || follower.holds
    if (!follower) {
      node.inflight += task.slots
      if (task.lock !== undefined) node.locks.add(task.lock)
    }
    this.running.set(task.name, { node, token })
    const dest = this.plan.perTaskFolders ? path.join(this.plan.dest, task.name) : this.plan.dest
    const sink = new FileSink(dest)
    const output = new AttemptOutput((stream, data) => this.observer.taskOutput?.(task, stream, data))
    let outcome: Outcome | 'requeue'
    // Why an attempt that ran went back to the queue, for the job log.
    let requeued = ''
    let kept: KeptLease | undefined
    let handedOn = false
    let leased = false
    // Whether this attempt ran (or may have) on the node, for the job log and the count of lost runs.
    const ran = (): boolean => leased && holds()
    try {
      let lease = behind?.lease ?? keptLease
      let notices = node.freeNotices
      let inputs: Digested[] | undefined
      if (lease === undefined) {
        // Inputs are hashed before reserving: the node's slot is not held while a big new input is read.
        // An input that cannot be read fails this attempt, and counts as one (so retries end).
        inputs = await this.digested(task).catch((error: unknown) => {
          this.attempts.set(task.name, attempt)
          throw error
        })
        notices = node.freeNotices
        lease = await client.reserve(task.slots, task.lock)
      }
      if (lease === undefined) {
        if (client.connected && node.freeNotices === notices) node.refused = true
        outcome = 'requeue'
      } else {
        this.waitFor(undefined)
        this.attempts.set(task.name, attempt)
        leased = true
        const ended = await this.attempt(task, node, lease, token, sink, attempt, output, follower, inputs)
        outcome = ended.outcome
        handedOn = ended.handedOn
        if (ended.kept && !handedOn) kept = { lease, slots: task.slots, lock: task.lock }
        if (ended.evicted && outcome.status !== 'cancelled') {
          // The node's owner wants it back (--evict): like a lost node, not the task's fault.
          this.observer.warning?.(`${task.name} was stopped by ${client.info.name}'s policy; it goes back to the queue`)
          outcome = 'requeue'
          requeued = "stopped by the node's policy"
          this.attempts.set(task.name, attempt - 1)
        } else if (follower?.withdrawn && outcome.status !== 'succeeded') {
          // Taken back from the queue just as it started: stopped by us, not the task's fault.
          outcome = 'requeue'
          requeued = 'taken back from the node as it started'
          this.attempts.set(task.name, attempt - 1)
        } else if (ended.missing && outcome.status === 'failed') {
          // The node lacked an input it was thought to hold: sent again by the next attempt (NodeClient
          // forgot it), which does not spend a retry; bounded like a lost node, should a node never keep it.
          requeued = outcome.reason ?? 'an input was missing on its node'
          outcome = this.lostRun(task, requeued, 'lacked an input')
          if (outcome === 'requeue') this.attempts.set(task.name, attempt - 1)
        }
      }
    } catch (error) {
      await sink.abort()
      // The node was lost, or did not hold the lease when the run came (a queued task refused it because
      // someone else waits or we took it back; a kept lease ran out while a big input was being hashed),
      // or an input changed while it was sent (the next attempt hashes it again): not the task's fault,
      // so it runs elsewhere (or again) without spending a retry.
      const notHeld = error instanceof LeaseNotHeld
      const changed = error instanceof InputChanged
      if (changed) this.observer.warning?.(`${task.name}: ${error.message}`)
      outcome = client.connected && !notHeld && !changed ? { status: 'failed', reason: (error as Error).message } : 'requeue'
      requeued = (error as Error).message
      if (outcome === 'requeue' && ran()) {
        const what = changed ? 'was sent an input that changed meanwhile' : notHeld ? 'did not hold its lease' : 'was lost'
        outcome = this.lostRun(task, requeued, what)
      }
      if (outcome === 'requeue' && this.attempts.get(task.name) === attempt) this.attempts.set(task.name, attempt - 1)
    }
    follower?.stop()
    // Handed on: the slot (and lock) now belong to the task that was queued behind this one.
    if (holds() && !handedOn) {
      node.inflight -= task.slots
      if (task.lock !== undefined) node.locks.delete(task.lock)
    }
    if (kept && client.connected) node.kept.push(kept)
    if (this.running.get(task.name)?.token === token) this.running.delete(task.name)
    if (ran()) {
      this.observer.attemptFinished?.(attemptRecord(task, client.info, attempt, startedAt, outcome, requeued, sink.bytes))
    }
    const retry = outcome !== 'requeue' && outcome.status === 'failed' && attempt <= task.retries
    if ((outcome === 'requeue' || retry) && !this.cancelled && !this.halted) {
      output.discard()
      if (retry) this.tried.set(task.name, (this.tried.get(task.name) ?? new Set()).add(client))
      this.waiting.unshift(task)
    } else {
      // Not awaited: the held output goes to the terminal while the task's record is written.
      void output.flush()
      this.record(
        task,
        outcome === 'requeue'
          ? { status: 'cancelled', reason: this.halted ? 'halted' : 'cancelled' }
          : { ...outcome, node: client.info.name, bytesDown: sink.bytes },
      )
      if (outcome !== 'requeue' && outcome.status === 'failed') this.countFailure()
    }
    this.pump()
  }

  // One more run of `task` that its node lost (the connection, or an input it should have had): it goes
  // back to the queue, until the MAX_LOST_RUNS-th time, which fails it.
  private lostRun(task: TaskSpec, last: string, what: string): Outcome | 'requeue' {
    const lost = (this.lostRuns.get(task.name) ?? 0) + 1
    this.lostRuns.set(task.name, lost)
    return lost < MAX_LOST_RUNS
      ? 'requeue'
      : { status: 'failed', reason: `its node ${what} ${lost} times during its attempts (last: ${last})` }
  }

  private async attempt(
    task: TaskSpec,
    node: NodeState,
    lease: string,
    token: string,
    sink: FileSink,
    attempt: number,
    output: AttemptOutput,
    follower: Follower | undefined,
    /** The inputs as hashed before the reservation; on a kept or queued lease they are hashed here. */
    inputs: Digested[] | undefined,
  ): Promise<{ outcome: Outcome; kept: boolean; evicted: boolean; missing: boolean; handedOn: boolean }> {
    const { client } = node
    let blobs: Digested[]
    let bytesUp: number
    try {
      blobs = inputs ?? (await this.digested(task))
      bytesUp = await client.ensureBlobs(blobs)
    } catch (error) {
      // No run will use the lease (an input could not be read, say): give it back now, not at its TTL,
      // or it would hold its slot for 30 s. A queued task that was not handed the lease only leaves it.
      if (!follower?.leave() && client.connected) client.release(lease)
      throw error
    }
    const info: NodeInfo = client.info
    const current = (): boolean => this.running.get(task.name)?.token === token
    // Worth a kept lease only while more tasks wait; the node keeps it only if no one else waits.
    const keep = this.waiting.length > 0
    // While it runs, another task may be queued behind it on its lease (pipelining, see pump).
    const open = keep && task.lock === undefined ? openLease(lease, task.slots) : undefined
    const openUp = (): void => {
      if (!open) return
      node.open.push(open)
      this.pump()
    }
    let handedOn = false
    const running = client.run(
      {
        lease,
        task: token,
        name: task.name,
        command: task.command,
        env: task.env,
        files: blobs.map((b) => ({ path: b.path, digest: b.digest, mode: b.mode & 0o777 })),
        outputs: [...task.outputs], // the protocol type is mutable; the spec is shared and frozen
        ...(task.timeoutMs === undefined ? {} : { timeoutMs: task.timeoutMs }),
        keep,
        ...(follower ? { queue: true } : {}),
      },
      {
        onStarted: () => current() && this.observer.taskStarted?.(task, info, attempt),
        // Returns the observer's wait, if any: NodeClient then reads nothing more from this node.
        onOutput: (stream, data) => (current() ? output.push(stream, data) : undefined),
        onProgress: (percent, text) => {
          if (current()) this.observer.taskProgress?.(task, percent, text)
        },
        onFile: async (m) => {
          if (current()) await sink.write(m.path, m.offset, m.data, m.final, m.mode)
        },
        // At once, before the next frame is read: the next frame may already be the queued task's.
        // Refused while queued (taken back, or the lease went elsewhere): it no longer follows.
        ...(follower ? { onRefused: () => void follower.leave() } : {}),
        onExit: (exit) => {
          if (keep) node.contended = exit.kept !== true
          if (open) removeItem(node.open, open)
          // A kept lease is the queued task's: the node has started it there, or starts it as it arrives
          // (a lease of ours that runs nothing). Had the node dropped it (our cancel), its refusal came first.
          if (open?.follower !== undefined && exit.kept === true) {
            handedOn = true
            open.follower.take()
          }
        },
      },
    )
    if (follower) follower.taken(openUp)
    else openUp()
    let exit: MessageOf<'exit'>
    try {
      exit = await running
    } finally {
      if (open) removeItem(node.open, open)
    }
    this.recentMs = this.recentMs === undefined ? exit.durationMs : 0.8 * this.recentMs + 0.2 * exit.durationMs
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
    const outcome: Outcome = {
      status: this.cancelled && !ok ? 'cancelled' : ok ? 'succeeded' : 'failed',
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
    return { outcome, kept: exit.kept === true, evicted: exit.evicted === true, missing: exit.missing !== undefined, handedOn }
  }

  /**
   * The task's inputs with their digests, as the files are now; each version of a file is hashed once
   * (HashCache), however often asked.
   */
  private digested(task: TaskSpec): Promise<Digested[]> {
    const inputs = this.plan.inputs.get(task.name) ?? []
    return Promise.all(
      inputs.map(async (input) => {
        const now = await stampedNow(input).catch((error: NodeJS.ErrnoException) => {
          throw new ExternalError(`input ${input.path} cannot be read any more (${error.code ?? error.message})`)
        })
        return { ...now, digest: await this.hashes.digest(now) }
      }),
    )
  }

  private pipelining(): boolean {
    return this.plan.pipeline !== false && this.recentMs !== undefined && this.recentMs < PIPELINE_BELOW_MS
  }

  private countFailure(): void {
    this.failures++
    const halt = this.plan.halt
    if (!halt || this.halted || this.failures < halt.failures) return
    this.halted = true
    this.observer.warning?.(`halting after ${this.failures} failure(s) (--halt ${halt.when},fail=${halt.failures})`)
    if (halt.when === 'now') this.cancel('halted')
    else for (const task of this.waiting.splice(0)) this.record(task, { status: 'cancelled', reason: 'halted' })
  }

  // Each task is recorded once: whatever a stale attempt reports later is dropped.
  private record(task: TaskSpec, partial: Outcome): void {
    if (this.results.has(task.name)) return
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

/** A lease on one of `nodes` that `task` can be queued behind: same slot count, nothing queued yet. */
function followAt(nodes: NodeState[], task: TaskSpec): { node: NodeState; open: OpenLease } | undefined {
  for (const node of nodes) {
    const open = followableLease(node.open, task.slots)
    if (open) return { node, open }
  }
  return undefined
}

// A node's refusal in the words of one waiting for it: a pause says why; anything else means others
// hold its slots (we run nothing there when this is asked).
function refusal(reason: string | undefined): string {
  if (reason?.startsWith('paused')) return reason
  return `busy with other submitters${reason === undefined ? '' : ` (${reason})`}`
}

function removeItem<T>(list: T[], item: T): void {
  const i = list.indexOf(item)
  if (i >= 0) list.splice(i, 1)
}

function load(n: NodeState): number {
  return n.inflight / n.client.info.slots
}

/** Slots we could still reserve on `n`: its total less what runs there and what it keeps for us. */
function freeSlots(n: NodeState): number {
  return n.client.info.slots - n.inflight - n.kept.reduce((sum, k) => sum + k.slots, 0)
}

/** Index of a lease `n` kept that fits `task` exactly (same slots, same lock), or -1. */
function keptFor(n: NodeState, task: TaskSpec): number {
  return n.kept.findIndex((k) => k.slots === task.slots && k.lock === task.lock)
}

function attemptRecord(
  task: TaskSpec,
  node: NodeInfo,
  attempt: number,
  startedAt: number,
  outcome: Outcome | 'requeue',
  requeued: string,
  bytesDown: number,
): AttemptRecord {
  const o: Omit<Outcome, 'status'> & Pick<AttemptRecord, 'status'> =
    outcome === 'requeue' ? { status: 'requeued', reason: requeued } : outcome
  return {
    task: task.name,
    line: task.line,
    attempt,
    node: node.name,
    startedAt,
    durationMs: Date.now() - startedAt,
    exitCode: o.exitCode ?? null,
    signal: o.signal ?? null,
    status: o.status,
    bytesUp: o.bytesUp ?? 0,
    bytesDown,
    reason: o.reason ?? '',
  }
}
