// One task on this node, from its inputs to its exit: materialise the folder, snapshot it, run the
// command, stream output, send back what it created or changed, report the exit, remove the folder.
import path from 'node:path'
import { globMatcher, ProtocolError, type MessageOf } from '../../protocol/index.js'
import type { Channel } from '../../transfer/channel.js'
import { clearForNewFile, mkdirsNoFollow } from '../../transfer/no-follow.js'
import { resolveInside } from '../../transfer/paths.js'
import type { BlobStore } from '../blobs/blob-store.js'
import { guardFolder } from './disk-guard.js'
import { execute, type ExecResult } from './executor.js'
import type { TaskPolicy } from '../policy/task-policy.js'
import { describeSetupError, diskFullNote } from './task-failure.js'
import { ProgressSplitter, type Progress } from './progress-lines.js'
import type { TaskFolders } from './task-folders.js'
import type { StopSignal } from './task-stop.js'
import type { TaskTree } from './task-tree.js'
import { returnChanges, snapshot, type Changes, type Snapshot } from './workdir.js'

export interface TaskRunContext {
  store: BlobStore
  folders: TaskFolders
  killGraceMs: number
  maxOutputBytes: number
  baseEnv: Record<string, string>
  /** How a task's processes are kept together and killed (cgroup or marker). */
  tree: TaskTree
  /** Environment, executable and timeout rules (default: none beyond the base environment). */
  policy?: TaskPolicy
  /** Stop a task whose folder grows past this many bytes. */
  maxTaskDiskBytes?: number | undefined
}

export interface TaskOutcome {
  ok: boolean
  exitCode: number | null
  durationMs: number
}

/** The abort reason of a task stopped by the node's policy (--evict): reported as evicted, not failed. */
export class TaskEvicted {
  constructor(readonly reason: string) {}
}

/** What the node's watch state learns of a running task (see node-state.ts). */
export interface TaskWatcher {
  progress(progress: Progress): void
  output(stream: 'stdout' | 'stderr', data: Buffer): void
  /** Held for the owner's approval of this program (daemon --approve); undefined once it is not. */
  held(program: { digest: string; program: string } | undefined): void
}

/** What became of a task's lease as it ended: kept, and how many runs still wait on it (-1: none took it over). */
export interface LeaseEnd {
  kept: boolean
  queuedBehind: number
}

/** The task's lease on the node's slot table (slots.ts), as its run uses it. */
export interface TaskLease {
  /**
   * Frees (or keeps, for the submitter's next task) its slots just before the exit is sent, after the
   * folder is gone: a submitter that reserves again on seeing the exit finds the slot free.
   */
  finish(): LeaseEnd
  /** Held for the owner's approval: its slots serve other tasks meanwhile. */
  lend(): void
  /** Approved: resolves once its slots are its own again; `waiting` is called if they are not free now. */
  takeBack(signal: StopSignal, waiting: () => void): Promise<void>
}

/** Runs one task and reports its exit. */
export async function runTask(
  run: MessageOf<'run'>,
  ctx: TaskRunContext,
  channel: Channel,
  signal: StopSignal,
  lease: TaskLease,
  watcher?: TaskWatcher,
): Promise<TaskOutcome> {
  let dir: string | undefined
  let result: ExecResult
  let changes: Changes = { deleted: [], skipped: [] }
  let missing: string[] | undefined
  // The time limit the task ran under (its own, else the node's default, capped by --max-timeout).
  let timeoutMs: number | undefined
  // `started` is sent before the task's first output, progress or file, or once it has run a moment
  // (the helper's STARTED_AFTER_MS); a task that ends sooner has its exit say so (`started: true`):
  // one frame less a short task, on both sides (docs/PROTOCOL.md, `started`).
  let launched = false
  let announced = false
  const announce = (): void => {
    if (announced) return
    announced = true
    void channel.send({ type: 'started', task: run.task })
  }
  try {
    dir = ctx.folders.take()
    await materialize(run, dir, ctx.store)
    // A folder that received no inputs is known to be empty: no need to walk it (per-task hot path).
    const before: Snapshot = run.files.length === 0 ? new Map() : await snapshot(dir)
    // Nothing downstream changes it: with no variables of the task's own, the node's base serves as it is.
    const env = hasKeys(run.env) ? { ...ctx.baseEnv, ...run.env } : ctx.baseEnv
    // Held (daemon --approve) until the owner answers: the submitter and monitors are told why, and
    // its slots serve other tasks meanwhile; approved, it takes them back before anyone else.
    let lent = false
    const hold = {
      signal,
      held: (reason: string, program: { digest: string; program: string }) => {
        watcher?.held(program)
        lease.lend()
        lent = true
        void channel.send({ type: 'held', task: run.task, reason })
      },
    }
    const allowed = ctx.policy
      ? await ctx.policy.prepare(run, dir, env, hold).finally(() => watcher?.held(undefined))
      : { command: run.command, timeoutMs: run.timeoutMs }
    if (lent)
      await lease.takeBack(signal, () => {
        const reason = 'approved; waiting for a free slot on this node (other tasks ran there while it was held)'
        void channel.send({ type: 'held', task: run.task, reason })
      })
    timeoutMs = allowed.timeoutMs
    // Made at the task's first output (most short tasks print nothing). `::distw::progress N text`
    // lines on stdout become progress messages, not output.
    let send: ReturnType<typeof outputSender> | undefined
    let progress: ProgressSplitter | undefined
    const output = (stream: 'stdout' | 'stderr', data: Buffer): Promise<void> | undefined => {
      const out = (send ??= outputSender(run.task, channel, ctx.maxOutputBytes, watcher, announce))
      if (stream === 'stderr') return out(stream, data)
      progress ??= new ProgressSplitter((p) => {
        watcher?.progress(p)
        announce()
        void channel.send({ type: 'progress', task: run.task, ...p })
      })
      return sendAll(progress.push(data), (d) => out('stdout', d))
    }
    launched = true
    const guard = guardFolder(dir, ctx.maxTaskDiskBytes, signal)
    try {
      result = await execute({
        command: allowed.command,
        cwd: dir,
        env,
        tree: ctx.tree.forTask(),
        timeoutMs: allowed.timeoutMs,
        killGraceMs: ctx.killGraceMs,
        signal: guard.signal,
        onOutput: output,
        onStarted: announce,
      })
    } finally {
      guard.stop()
    }
    if (progress && send) for (const rest of progress.flush()) await send('stdout', rest)
    const failure = guard.exceeded ?? (result.exitCode !== 0 ? await diskFullNote(dir) : undefined)
    if (failure !== undefined) result = { ...result, startError: failure }
    if (!signal.aborted && guard.exceeded === undefined) {
      const wanted = run.outputs.length === 0 ? () => true : globMatcher(run.outputs)
      changes = await returnChanges(
        run.task,
        dir,
        before,
        wanted,
        channel,
        // Only a success's outputs are kept: dependents run only after one, and a failure's files (a
        // disk filled up, a half-written result) would hold the cache's space for nothing.
        succeeded(result, failure) ? (digest, file, stat) => ctx.store.keepOutput(digest, file, stat) : undefined,
        announce,
      )
    }
  } catch (error) {
    // A task that cannot be set up is a failed task, reported to its submitter; the node goes on.
    result = { exitCode: null, signal: null, timedOut: false, cancelled: false, durationMs: 0, startError: describeSetupError(error) }
    // Unless what it lacked was an input the node was thought to have: named, to be sent again.
    if (error instanceof ProtocolError && error.code === 'DISTW_ERR_BLOB_MISSING')
      missing = [...new Set(run.files.map((f) => f.digest).filter((d) => !ctx.store.has(d)))]
  }
  if (dir !== undefined) await ctx.folders.give(dir, changes.emptyMode)
  const { kept, queuedBehind } = lease.finish()
  const evicted = signal.reason instanceof TaskEvicted ? signal.reason : undefined
  if (evicted) result = { ...result, startError: `stopped by the node's policy (${evicted.reason})` }
  // Optional fields set one by one: a spread of `{}` for each cost V8's slow path once a task.
  const exit: Omit<MessageOf<'exit'>, 'v'> = {
    type: 'exit',
    task: run.task,
    exitCode: result.exitCode,
    signal: result.signal,
    durationMs: result.durationMs,
    timedOut: result.timedOut,
    deleted: changes.deleted,
    skipped: changes.skipped,
  }
  if (result.timedOut && timeoutMs !== undefined) exit.timeoutMs = timeoutMs
  if (result.startError !== undefined) exit.error = result.startError
  if (kept) exit.kept = kept
  if (launched && !announced) exit.started = true
  if (evicted) exit.evicted = true
  if (missing) exit.missing = missing
  // Its lease already runs the next queued task and more wait behind it: the submitter needs nothing
  // from this exit to go on, so it may wait to travel with others (Channel.sendSoon, PROTOCOL.md §5).
  if (queuedBehind > 0) channel.sendSoon(exit)
  else await channel.send(exit)
  const ok = result.exitCode === 0 && !result.timedOut && result.startError === undefined && !signal.aborted
  return { ok, exitCode: result.exitCode, durationMs: result.durationMs }
}

function hasKeys(record: Record<string, string>): boolean {
  for (const _ in record) return true
  return false
}

function sendAll(chunks: Buffer[], send: (data: Buffer) => Promise<void> | undefined): Promise<void> | undefined {
  const waits = chunks.map(send).filter((w) => w !== undefined)
  return waits.length === 0 ? undefined : Promise.all(waits).then(() => {})
}

async function materialize(run: MessageOf<'run'>, dir: string, store: BlobStore): Promise<void> {
  for (const file of run.files) {
    const dest = resolveInside(dir, file.path)
    await mkdirsNoFollow(dir, path.dirname(dest))
    await clearForNewFile(dest)
    await store.materialize(file.digest, dest, file.mode)
  }
}

// Streams output to the submitter, cut at the cap with a visible marker.
function outputSender(task: string, channel: Channel, cap: number, watcher: TaskWatcher | undefined, announce: () => void) {
  let sent = 0
  let cut = false
  return (stream: 'stdout' | 'stderr', data: Buffer): Promise<void> | undefined => {
    if (cut) return undefined
    if (sent + data.length > cap) {
      cut = true
      data = Buffer.concat([data.subarray(0, cap - sent), Buffer.from(`\n[distw: output cut at ${cap} bytes]\n`)])
    }
    sent += data.length
    watcher?.output(stream, data)
    announce()
    const delivered = channel.send({ type: 'output', task, stream, data })
    return channel.congested ? delivered : undefined
  }
}

function succeeded(result: ExecResult, failure: string | undefined): boolean {
  return result.exitCode === 0 && !result.timedOut && failure === undefined
}
