// The submitter as a library: `import { submit } from 'distw'`. Parses and checks every task first
// (nothing is sent while any line is bad), connects to the nodes (or embeds one), runs the batch.
import os from 'node:os'
import path from 'node:path'
import { startDaemon, type RunningDaemon } from '../daemon/daemon.js'
import { ExternalError, UserError } from '../errors.js'
import { parseTasks, resolveAllInputs, topoOrder, type TaskSpec } from '../tasks/index.js'
import { HashCache } from '../transfer/hash.js'
import { clientName } from './client-name.js'
import { JobLog, succeededDigests } from './joblog.js'
import { NodeClient } from './node-client.js'
import { peerUrl } from './peer-address.js'
import type { BatchResult, SubmitObserver } from './result.js'
import { Scheduler, type HaltPolicy } from './scheduler.js'
import { taskDigests } from './task-digest.js'

export interface SubmitOptions {
  /** The text of a task file, or tasks already parsed. */
  tasks: string | TaskSpec[]
  /** Name of the task file, for error messages (`tasks.txt:7: …`). */
  source?: string
  /** Folder that inputs are relative to; returned files land here too unless outDir is set. Default: cwd. */
  cwd?: string
  /** Write returned files under `outDir/<task name>/` instead of into cwd. */
  outDir?: string
  /** Nodes to use (`host:port`). None: an embedded local node runs the batch. */
  peers?: string[]
  /** The shared secret: nodes must prove they know it, and this side proves it too. */
  secret?: Buffer | undefined
  /** Slots of the embedded node (default: cores − 1). */
  localSlots?: number
  observer?: SubmitObserver
  /** Aborting cancels every running task and ends the batch. */
  signal?: AbortSignal
  /** Interval of connection pings; a node silent for two is lost and its tasks run elsewhere. */
  heartbeatMs?: number
  /** Stop after N failures: `soon` lets running tasks finish, `now` cancels them. */
  halt?: HaltPolicy
  /** Append one row per attempt to this file (tab-separated, with a header). */
  joblog?: string
  /** Skip tasks that the job log records as succeeded (same command, inputs' content and env). */
  resume?: boolean
}

export async function submit(options: SubmitOptions): Promise<BatchResult> {
  const started = performance.now()
  const cwd = path.resolve(options.cwd ?? process.cwd())
  const source = options.source ?? 'tasks'
  // Tasks given as objects get the same graph checks (duplicates, unknown `after`, cycles) as parsed ones.
  const tasks = typeof options.tasks === 'string' ? parseTasks(options.tasks, source) : (topoOrder(options.tasks, source), options.tasks)
  const inputs = await resolveAllInputs(tasks, cwd, source)
  if (options.resume && options.joblog === undefined)
    throw new UserError('--resume needs --joblog FILE', 'name the job log of the earlier run')
  const hashes = new HashCache()
  const digests = options.joblog === undefined ? undefined : await taskDigests(tasks, inputs, hashes)
  const finished = options.resume && options.joblog !== undefined ? await succeededDigests(options.joblog) : new Set<string>()
  const done = new Set(tasks.filter((t) => finished.has(digests?.get(t.name) ?? '')).map((t) => t.name))
  const joblog = options.joblog === undefined ? undefined : await JobLog.open(options.joblog)
  // The caller's observer (maybe a class instance) with the job log hooked into attemptFinished.
  const observer: SubmitObserver = Object.create(options.observer ?? {}) as SubmitObserver
  observer.attemptFinished = (record) => {
    joblog?.write(digests?.get(record.task) ?? '', record)
    options.observer?.attemptFinished?.(record)
  }
  options.observer?.batchPlanned?.(tasks.length)

  const peers = (options.peers ?? []).map(peerUrl)
  let local: RunningDaemon | undefined
  const clients: NodeClient[] = []
  try {
    if (peers.length === 0) {
      local = await startDaemon({
        port: 0,
        host: '127.0.0.1',
        name: `${os.hostname()} (local)`,
        ...(options.localSlots ? { slots: options.localSlots } : {}),
        ...(options.secret ? { secret: options.secret } : {}),
      })
      peers.push(local.url)
    }
    const client = clientName()
    const connected = await Promise.allSettled(
      peers.map((url) => NodeClient.connect(url, { secret: options.secret, client, heartbeatMs: options.heartbeatMs })),
    )
    for (const outcome of connected) {
      if (outcome.status === 'fulfilled') clients.push(outcome.value)
      else options.observer?.warning?.((outcome.reason as Error).message)
    }
    if (clients.length === 0) {
      const first = connected.find((o) => o.status === 'rejected')
      throw first?.reason instanceof Error ? first.reason : new ExternalError('no node could be reached')
    }
    const scheduler = new Scheduler(
      {
        tasks,
        inputs,
        dest: path.resolve(cwd, options.outDir ?? '.'),
        perTaskFolders: options.outDir !== undefined,
        done,
        hashes,
        ...(options.halt ? { halt: options.halt } : {}),
      },
      observer,
    )
    for (const c of clients) scheduler.addNode(c)
    const results = await scheduler.run(options.signal)
    return { ok: results.every((r) => r.status === 'succeeded'), results, durationMs: Math.round(performance.now() - started) }
  } finally {
    for (const c of clients) c.close()
    await local?.close()
    await joblog?.close()
  }
}
