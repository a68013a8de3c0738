// The submitter as a library: `import { submit } from 'distw'`. Parses and checks every task of a file
// or list first (nothing is sent while any line is bad), connects to the nodes (or embeds one), runs
// the batch. Tasks given as an async iterable (a pipe) are a stream: each is checked and queued as it
// comes (intake.ts), and runs while later ones are still being read.
import os from 'node:os'
import path from 'node:path'
import { startDaemon, type RunningDaemon } from '../daemon/daemon.js'
import { Discovery, poolDiscovery, type DiscoveryOptions } from '../discovery/discovery.js'
import { ExternalError, UserError } from '../errors.js'
import { DigestStore } from '../transfer/digest-store.js'
import { HashCache } from '../transfer/hash.js'
import { BatchNodes } from './batch-nodes.js'
import { BlobBook } from './blob-book.js'
import { Locality } from './locality.js'
import { clientName } from './client-name.js'
import { NodeUnreachable } from '../client/connect-channel.js'
import { JobLog, succeededDigests } from './joblog.js'
import { checkOutDir } from './out-dir.js'
import { NodeClient } from '../client/node-client.js'
import { peerUrl } from '../discovery/peer-address.js'
import { planBatch, type PlanOptions } from './plan.js'
import { totalsOf, type BatchResult, type SubmitObserver } from './result.js'
import { Scheduler, type HaltPolicy } from './scheduler.js'
import { taskDigest, taskDigests } from './task-digest.js'
import { feed, type TaskStream } from './intake.js'
import type { ResolvedInput, TaskSpec } from '../tasks/index.js'

/** What to run (tasks, source, cwd: returned files land in cwd too unless outDir is set), and how. */
export interface SubmitOptions extends Omit<PlanOptions, 'tasks'> {
  /**
   * The text of a task file, tasks already parsed, or a stream: an async iterable of strings (each one
   * or more whole task lines) or of task objects, run as they come. A stream's bad lines are reported
   * through `observer.lineRejected` and not run; the others run (see BatchResult for what is kept).
   */
  tasks: string | TaskSpec[] | TaskStream
  /** Write returned files under `outDir/<task name>/` instead of into cwd. */
  outDir?: string
  /** Nodes to use (`host:port`). None: nodes found by discovery, else an embedded local node. */
  peers?: string[]
  /** The shared secret: nodes must prove they know it, and this side proves it too. */
  secret?: Buffer | undefined
  /** Plain WebSocket even with a secret, to nodes started with --insecure (debugging): nothing is encrypted. */
  insecure?: boolean | undefined
  /** With no peers, find nodes on the LAN (off unless given: `distw submit` turns it on). */
  discovery?: DiscoveryOptions
  /**
   * How long discovery listens at most before the batch starts (default 1000 ms): it starts sooner, 250 ms
   * after the last answer, once a node has answered; it keeps listening after.
   */
  discoveryWaitMs?: number
  /** The embedded local node: only when no node is found ('auto', default), 'never', or 'also'. */
  local?: 'auto' | 'never' | 'also'
  /** Slots of the embedded node (default: cores − 1). */
  localSlots?: number
  observer?: SubmitObserver
  /** Aborting cancels every running task and ends the batch. */
  signal?: AbortSignal
  /** Interval of connection pings; a node silent for two is lost and its tasks run elsewhere. */
  heartbeatMs?: number
  /** Stop after N failures (or successes, or tasks done): `soon` lets running tasks finish, `now` cancels them. */
  halt?: HaltPolicy
  /** Append one row per attempt to this file (tab-separated, with a header). */
  joblog?: string
  /** Skip tasks that the job log records as succeeded (same command, inputs' content and env). */
  resume?: boolean
  /**
   * A file that remembers input digests across runs (`distw submit` uses defaultDigestStorePath()), so
   * unchanged inputs are not hashed again. None: digests live for this batch only.
   */
  digestStore?: string
  /**
   * A file that remembers which node holds which blobs across runs (`distw submit` uses
   * defaultBlobBookPath(), beside the digest cache). None: learnt for this batch only.
   */
  nodeBlobs?: string
  /**
   * Place each task on the node that holds the most of its input bytes, and let it wait a little for
   * such a node rather than send them elsewhere (default true; false: the least loaded node, no wait).
   */
  locality?: boolean
  /** How long a node whose connection was lost is dialled again (default 60 s; 0: never). */
  reconnectMs?: number
  /**
   * Queue the next task behind a running one on its node while the batch's tasks are short (< 250 ms),
   * so that a task's exit and the next `run` do not cost a network round trip (default true).
   */
  pipeline?: boolean
  /** At most this many tasks of the batch running at once across the pool (`-j N`); default: every free slot. */
  jobs?: number
}

const DEFAULT_RECONNECT_MS = 60_000
// Discovery's answers come within a few ms of each other on a LAN (mDNS responders delay theirs by up
// to 120 ms): once one node has answered and nobody else for this long, the batch starts.
const ANSWERS_QUIET_MS = 250

export async function submit(options: SubmitOptions): Promise<BatchResult> {
  const started = performance.now()
  const cwd = path.resolve(options.cwd ?? process.cwd())
  const source = options.tasks
  const stream = isStream(source) ? source : undefined
  const { tasks, inputs, warnings } =
    stream === undefined
      ? await planBatch({ ...options, tasks: source as string | TaskSpec[] })
      : { tasks: [], inputs: new Map(), warnings: [] }
  if (options.resume && options.joblog === undefined)
    throw new UserError('--resume needs --joblog FILE', 'name the job log of the earlier run')
  if (options.outDir !== undefined) await checkOutDir(path.resolve(cwd, options.outDir))
  const store = options.digestStore === undefined ? undefined : await DigestStore.open(options.digestStore)
  const hashes = new HashCache(store)
  const book = options.nodeBlobs === undefined ? new BlobBook() : await BlobBook.open(options.nodeBlobs)
  const locality = new Locality(book, hashes, { placement: options.locality ?? true })
  const digests = options.joblog === undefined ? undefined : await taskDigests(tasks, inputs, hashes)
  const finished = options.resume && options.joblog !== undefined ? await succeededDigests(options.joblog) : new Set<string>()
  // A task with `after` is judged when its inputs are known (lateResolved): they may be its dependencies' outputs.
  const done = new Set(tasks.filter((t) => t.after.length === 0 && finished.has(digests?.get(t.name) ?? '')).map((t) => t.name))
  const joblog = options.joblog === undefined ? undefined : await JobLog.open(options.joblog)
  // The caller's observer (maybe a class instance) with the job log hooked into attemptFinished (left
  // out when nobody reads the attempts: then no attempt's row is made).
  const observer: SubmitObserver = Object.create(options.observer ?? {}) as SubmitObserver
  if (joblog !== undefined || options.observer?.attemptFinished)
    observer.attemptFinished = (record) => {
      joblog?.write(digests?.get(record.task) ?? '', record)
      options.observer?.attemptFinished?.(record)
    }
  // Its job log rows are written: its digest is not needed any more (a stream must not keep them all).
  observer.taskFinished = (result) => {
    digests?.delete(result.name)
    options.observer?.taskFinished?.(result)
  }
  if (!stream) options.observer?.batchPlanned?.(tasks.length, tasks)
  for (const warning of warnings) options.observer?.warning?.(warning)
  // Nothing to run (an empty file, `distw run echo :::`): no node is looked for, no time waited.
  if (!stream && tasks.length === 0) {
    await joblog?.close()
    return { ok: true, results: [], ...totalsOf([]), durationMs: Math.round(performance.now() - started) }
  }

  const peers = (options.peers ?? []).map(peerUrl)
  let local: RunningDaemon | undefined
  let discovery: Discovery | undefined
  let nodes: BatchNodes | undefined
  try {
    if (peers.length === 0 && options.discovery) {
      discovery = await Discovery.start(poolDiscovery(options.discovery, options.secret))
      discovery.on('warning', (message) => options.observer?.warning?.(message))
      const found = await discovery.settle(options.discoveryWaitMs ?? 1000, options.signal, ANSWERS_QUIET_MS)
      peers.push(...found.map((n) => n.url))
    }
    const mode = options.local ?? 'auto'
    if (mode === 'also' || (peers.length === 0 && mode === 'auto')) {
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
    const connect = (url: string, signal?: AbortSignal) =>
      NodeClient.connect(url, { secret: options.secret, insecure: options.insecure, client, heartbeatMs: options.heartbeatMs, signal })
    if (peers.length === 0 && !discovery) throw new UserError('no node to run on', 'name one with --peer HOST:PORT, or drop --no-local')
    const connected = await Promise.allSettled(peers.map((url) => connect(url)))
    const clients = connected.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []))
    const unreachable = connected.flatMap((o, i) =>
      o.status === 'rejected' ? [{ url: peers[i] as string, error: o.reason as Error }] : [],
    )
    // With nothing to run on, the batch ends: each failure is said once, in that error, not also as a warning.
    if (clients.length === 0 && !discovery) throw noNodeReached(unreachable.map((u) => u.error))
    const scheduler = new Scheduler(
      {
        tasks,
        inputs,
        dest: path.resolve(cwd, options.outDir ?? '.'),
        perTaskFolders: options.outDir !== undefined,
        cwd,
        done,
        lateResolved: async (task, files) => {
          if (!digests) return false
          const digest = await taskDigest(task, files, hashes)
          digests.set(task.name, digest)
          return options.resume === true && finished.has(digest)
        },
        hashes,
        locality,
        ...(stream ? { stream: true } : {}),
        source: options.source ?? 'tasks',
        ...(options.halt ? { halt: options.halt } : {}),
        ...(options.pipeline === undefined ? {} : { pipeline: options.pipeline }),
        ...(options.jobs === undefined ? {} : { jobs: options.jobs }),
      },
      observer,
    )
    const batchNodes = new BatchNodes(scheduler, {
      connect,
      reconnectMs: options.reconnectMs ?? DEFAULT_RECONNECT_MS,
      warn: (message) => options.observer?.warning?.(message),
    })
    nodes = batchNodes
    // A stream is read from now on; its tasks queue while the nodes join, and start once one has.
    let streamError: unknown
    if (stream)
      void feed(stream, scheduler.intake, {
        cwd,
        source: options.source ?? 'tasks',
        autoInputs: options.autoInputs ?? true,
        defaults: options.defaults ?? {},
        warn: (message) => options.observer?.warning?.(message),
        ...(digests === undefined
          ? {}
          : {
              prepared: async (task: TaskSpec, files: readonly ResolvedInput[]) => {
                const digest = await taskDigest(task, files, hashes)
                digests.set(task.name, digest)
                return options.resume === true && finished.has(digest)
              },
            }),
      }).catch((error: unknown) => {
        streamError = error
        scheduler.cancel('the task stream failed')
      })
    // A peer nobody answered at yet (ECONNREFUSED: its daemon may be starting) is dialled again with backoff.
    for (const { url, error } of unreachable)
      if (error instanceof NodeUnreachable) batchNodes.retry(url, error)
      else options.observer?.warning?.(error.message)
    if (clients.length === 0) {
      options.observer?.warning?.('no node found yet: waiting for one to appear (Ctrl-C to stop)')
      scheduler.waitFor('no node found on the LAN yet (discovery keeps listening)')
    }
    for (const c of clients) batchNodes.admit(c)
    // Nodes that appear while the batch runs join it; with none at all yet, the batch waits for the first.
    discovery?.on('add', (node) => void batchNodes.discovered(node))
    // Discovery is a hint: a node it stops hearing keeps its running tasks and gets new ones again as
    // soon as it answers over its connection (Scheduler.suspectNode); only the connection drops it.
    discovery?.on('remove', (node) => batchNodes.suspect(node.info.id))
    for (const node of discovery?.nodes() ?? []) void batchNodes.discovered(node)
    if (batchNodes.size === 0) {
      options.signal?.addEventListener('abort', () => batchNodes.close(), { once: true })
      await batchNodes.firstJoined
    }
    const results = await scheduler.run(options.signal)
    if (streamError !== undefined) throw streamError
    const { counts, files, rejected, resumed } = scheduler.books.tally
    return {
      // A halt on success (or on tasks done) is what was asked for: the tasks it cancelled are no failure.
      ok: counts.failed + counts.skipped + (scheduler.haltCount.haltedAsAsked ? 0 : counts.cancelled) + rejected === 0,
      results,
      counts: { ...counts },
      filesReturned: files,
      rejected,
      resumed,
      durationMs: Math.round(performance.now() - started),
    }
  } finally {
    await discovery?.close()
    nodes?.close()
    await local?.close()
    await joblog?.close()
    // A cache that cannot be written costs the next run its hashing, not this batch its result.
    await store?.save().catch((error: Error) => options.observer?.warning?.(`digest cache not saved: ${error.message}`))
    await book.save().catch((error: Error) => options.observer?.warning?.(`record of the nodes' blobs not saved: ${error.message}`))
  }
}

function isStream(tasks: SubmitOptions['tasks']): tasks is TaskStream {
  return typeof tasks === 'object' && !Array.isArray(tasks) && Symbol.asyncIterator in tasks
}

function noNodeReached(errors: Error[]): Error {
  const [first] = errors
  if (errors.length === 1 && first) return first
  // A hint only when it fits every failure (a refused connection and a wrong secret want different fixes).
  const hints = new Set(errors.map((e) => (e instanceof ExternalError ? e.hint : undefined)))
  const [hint] = hints.size === 1 ? hints : [undefined]
  return new ExternalError(`none of the ${errors.length} nodes could be reached:\n  ${errors.map((e) => e.message).join('\n  ')}`, hint)
}
