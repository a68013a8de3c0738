// One task on this node, from its inputs to its exit: materialise the folder, snapshot it, run the
// command, stream output, send back what it created or changed, report the exit, remove the folder.
import { createReadStream } from 'node:fs'
import fs from 'node:fs/promises'
import path from 'node:path'
import picomatch from 'picomatch'
import { CHUNK_BYTES, type MessageOf } from '../protocol/index.js'
import type { Channel } from '../transfer/channel.js'
import { resolveInside } from '../transfer/paths.js'
import type { BlobStore } from './blob-store.js'
import { execute, type ExecResult } from './executor.js'
import { ProgressSplitter, type Progress } from './progress-lines.js'
import { diff, snapshot, type Diff } from './workdir.js'

export interface TaskRunContext {
  store: BlobStore
  workRoot: string
  killGraceMs: number
  maxOutputBytes: number
  baseEnv: Record<string, string>
}

export interface TaskOutcome {
  ok: boolean
  exitCode: number | null
  durationMs: number
}

/** What the node's watch state learns of a running task (see node-state.ts). */
export interface TaskWatcher {
  progress(progress: Progress): void
  output(stream: 'stdout' | 'stderr', data: Buffer): void
}

export async function runTask(
  run: MessageOf<'run'>,
  ctx: TaskRunContext,
  channel: Channel,
  signal: AbortSignal,
  watcher?: TaskWatcher,
): Promise<TaskOutcome> {
  const dir = await fs.mkdtemp(path.join(ctx.workRoot, 'task-'))
  try {
    let result: ExecResult
    let changes: Diff = { changed: [], deleted: [], skipped: [] }
    try {
      await materialize(run, dir, ctx.store)
      const before = await snapshot(dir)
      const send = outputSender(run.task, channel, ctx.maxOutputBytes, watcher)
      const progress = new ProgressSplitter((p) => {
        watcher?.progress(p)
        void channel.send({ type: 'progress', task: run.task, ...p })
      })
      const output = (stream: 'stdout' | 'stderr', data: Buffer): Promise<void> | undefined =>
        stream === 'stderr' ? send(stream, data) : sendAll(progress.push(data), (d) => send('stdout', d))
      await channel.send({ type: 'started', task: run.task })
      result = await execute({
        command: run.command,
        cwd: dir,
        env: { ...ctx.baseEnv, ...run.env },
        timeoutMs: run.timeoutMs,
        killGraceMs: ctx.killGraceMs,
        signal,
        onOutput: output,
      })
      for (const rest of progress.flush()) await send('stdout', rest)
      if (!signal.aborted) {
        const wanted = run.outputs.length === 0 ? () => true : picomatch(run.outputs, { dot: true })
        changes = diff(before, await snapshot(dir), wanted)
        for (const file of changes.changed) await sendFile(run.task, dir, file, channel)
      }
    } catch (error) {
      // A task that cannot be set up is a failed task, reported to its submitter; the node goes on.
      result = { exitCode: null, signal: null, timedOut: false, cancelled: false, durationMs: 0, startError: (error as Error).message }
    }
    await channel.send({
      type: 'exit',
      task: run.task,
      exitCode: result.exitCode,
      signal: result.signal,
      durationMs: result.durationMs,
      timedOut: result.timedOut,
      deleted: changes.deleted,
      skipped: changes.skipped,
      ...(result.startError === undefined ? {} : { error: result.startError }),
    })
    const ok = result.exitCode === 0 && !result.timedOut && result.startError === undefined && !signal.aborted
    return { ok, exitCode: result.exitCode, durationMs: result.durationMs }
  } finally {
    await fs.rm(dir, { recursive: true, force: true })
  }
}

async function materialize(run: MessageOf<'run'>, dir: string, store: BlobStore): Promise<void> {
  for (const file of run.files) {
    const dest = resolveInside(dir, file.path)
    await fs.mkdir(path.dirname(dest), { recursive: true })
    await store.materialize(file.digest, dest, file.mode)
  }
}

// Sends several chunks; waits (backpressure) only when a send asked to.
function sendAll(chunks: Buffer[], send: (data: Buffer) => Promise<void> | undefined): Promise<void> | undefined {
  const waits = chunks.map(send).filter((w) => w !== undefined)
  return waits.length === 0 ? undefined : Promise.all(waits).then(() => {})
}

// Streams output to the submitter, cut at the cap with a visible marker.
function outputSender(task: string, channel: Channel, cap: number, watcher: TaskWatcher | undefined) {
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
    const delivered = channel.send({ type: 'output', task, stream, data })
    return channel.congested ? delivered : undefined
  }
}

async function sendFile(task: string, dir: string, file: Diff['changed'][number], channel: Channel): Promise<void> {
  const full = resolveInside(dir, file.path)
  let offset = 0
  // One chunk is held at a time; send() waits whenever the socket is behind.
  const chunks = createReadStream(full, { highWaterMark: CHUNK_BYTES })
  for await (const chunk of chunks) {
    const data = chunk as Buffer
    await channel.send({ type: 'file', task, path: file.path, mode: file.mode, offset, data, final: false })
    offset += data.length
  }
  await channel.send({ type: 'file', task, path: file.path, mode: file.mode, offset, data: Buffer.alloc(0), final: true })
}
