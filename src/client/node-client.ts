// The submitter's side of one connection to a node: handshake, reservations, uploads, runs.
// Replies are matched to requests by id (reserve, have) or by task id (a run's events).
import { PROTOCOL_VERSION, ProtocolError, type Message, type MessageOf, type NodeInfo, type Outgoing } from '../protocol/index.js'
import type { Channel } from '../transfer/channel.js'
import { fileChunks } from '../transfer/chunks.js'
import { frameChunks } from '../transfer/frame-pool.js'
import type { FileStamp } from '../transfer/digest-store.js'
import { stampedNow } from '../transfer/hash.js'
import { ExternalError } from '../errors.js'
import { connectChannel, type ConnectOptions } from './connect-channel.js'

/** Uploads one connection sends at once (a node accepts up to 64 unfinished: docs/PROTOCOL.md, `blob`). */
export const UPLOADS_IN_FLIGHT = 16

export interface Blob {
  digest: string
  size: number
  absPath: string
  /** The file's stamp when it was hashed (with `size`): an upload checks that it did not change meanwhile. */
  mtimeMs?: number
  ctimeMs?: number
  ino?: number
}

/** An input changed between its hashing and the end of its upload: its bytes are not what its digest says. */
export class InputChanged extends ExternalError {}

const stamped = (blob: Blob): blob is Blob & FileStamp => blob.mtimeMs !== undefined && blob.ctimeMs !== undefined && blob.ino !== undefined

// stampedNow answers with the very object when nothing changed (a file gone has changed too).
const unchangedSince = async (blob: Blob & FileStamp): Promise<boolean> => (await stampedNow(blob).catch(() => undefined)) === blob

export interface RunHandlers {
  onStarted?: () => void
  /** The node holds the task for its owner's approval of the program (daemon --approve): why, in words. */
  onHeld?: (reason: string) => void
  /** A returned promise is awaited before the next message is read (backpressure to the node). */
  onOutput: (stream: 'stdout' | 'stderr', data: Buffer) => void | Promise<void>
  /** The task printed a `::distw::progress` line. */
  onProgress?: (percent: number, text: string) => void
  onFile: (message: MessageOf<'file'>) => Promise<void>
  /** The exit arrived: called at once, before any later frame is read (a queued run may follow on its lease). */
  onExit?: (exit: MessageOf<'exit'>) => void
  /** The node did not run it (no lease): called at once, like onExit, before the run rejects with LeaseNotHeld. */
  onRefused?: () => void
}

/** The node did not run a task because its lease was not there (a queued run whose lease went elsewhere). */
export class LeaseNotHeld extends ExternalError {}

type RunRequest = Omit<MessageOf<'run'>, 'v' | 'type'>
type Reply = MessageOf<'reserved'> | MessageOf<'refused'> | MessageOf<'need'> | MessageOf<'probed'>

interface PendingRun {
  handlers: RunHandlers
  resolve: (exit: MessageOf<'exit'>) => void
  reject: (error: Error) => void
}

export class NodeClient {
  private nextId = 1
  private readonly replies = new Map<number, (reply: Reply) => void>()
  private readonly runs = new Map<string, PendingRun>()
  private readonly abandoned = new Set<string>()
  /** Blobs this node has, or is being sent: each crosses the wire at most once per connection. */
  private readonly blobs = new Map<string, Promise<number>>()
  private uploading = 0
  private readonly uploadWaiters: (() => void)[] = []
  lostReason: string | undefined
  private readonly lostListeners: ((reason: string) => void)[] = []
  private readonly freeListeners: (() => void)[] = []
  /** Why the node refused the last reservation (e.g. "paused: outside hours 19:00-07:00"). */
  lastRefusal: string | undefined

  private constructor(
    readonly url: string,
    readonly info: NodeInfo,
    private readonly channel: Channel,
  ) {
    channel.onMessage((message) => this.handle(message))
    channel.on('close', (code, reason) => this.lost(`connection closed (${code}${reason ? ` ${reason}` : ''})`))
  }

  /** Opens a connection and completes the handshake (authenticating the node when a secret is set). */
  static async connect(url: string, options: Omit<ConnectOptions, 'role'>): Promise<NodeClient> {
    const { channel, node } = await connectChannel(url, { ...options, role: 'submit' })
    return new NodeClient(url, node, channel)
  }

  get connected(): boolean {
    return this.lostReason === undefined
  }

  /** Calls `listener` once when the connection is lost (at once if it already is). */
  onLost(listener: (reason: string) => void): void {
    if (this.lostReason !== undefined) listener(this.lostReason)
    else this.lostListeners.push(listener)
  }

  /** Calls `listener` whenever the node says slots came free after refusing this submitter. */
  onFree(listener: () => void): void {
    this.freeListeners.push(listener)
  }

  /** Asks for a lease on `slots` slots (holding `lock`, if given): the lease id, or undefined when refused. */
  async reserve(slots: number, lock?: string): Promise<string | undefined> {
    const reply = await this.request({ type: 'reserve', id: this.nextId++, slots, ...(lock === undefined ? {} : { lock }) })
    this.lastRefusal = reply.type === 'refused' ? reply.reason : undefined
    return reply.type === 'reserved' ? reply.lease : undefined
  }

  /** Asks which tools are on a task's PATH and which env entries hold on the node. */
  async probe(tools: string[], env: string[]): Promise<{ tools: boolean[]; env: boolean[] }> {
    const reply = await this.request({ type: 'probe', id: this.nextId++, tools, env })
    if (reply.type !== 'probed') throw new ExternalError(`node ${this.info.name} lost: ${this.lostReason ?? 'no answer'}`)
    return { tools: reply.tools, env: reply.env }
  }

  release(lease: string): void {
    void this.channel.send({ type: 'release', lease })
  }

  /**
   * Makes sure the node holds every blob, sending only those it lacks. Resolves to the payload bytes
   * this call sent: a blob another task is already sending is waited for but counted there, once.
   */
  async ensureBlobs(blobs: Blob[]): Promise<number> {
    const unknown = dedupe(blobs.filter((b) => !this.blobs.has(b.digest)))
    let sent = 0
    if (unknown.length > 0) {
      const asked = this.request({ type: 'have', id: this.nextId++, blobs: unknown.map(({ digest, size }) => ({ digest, size })) })
      for (const blob of unknown) {
        const upload = asked.then((reply) => (reply.type === 'need' && reply.digests.includes(blob.digest) ? this.upload(blob) : 0))
        this.blobs.set(blob.digest, upload)
        // A failed upload (its file changed meanwhile) is asked about again by the next task that needs it.
        upload.then(
          (bytes) => (sent += bytes),
          () => this.blobs.get(blob.digest) === upload && this.blobs.delete(blob.digest),
        )
      }
    }
    await Promise.all(dedupe(blobs).map((b) => this.blobs.get(b.digest) as Promise<number>))
    return sent
  }

  /** Runs a task under a lease; resolves with its exit message after all its files arrived. */
  run(request: RunRequest, handlers: RunHandlers): Promise<MessageOf<'exit'>> {
    if (this.lostReason) return Promise.reject(new ExternalError(`node ${this.info.name} lost: ${this.lostReason}`))
    return new Promise((resolve, reject) => {
      this.runs.set(request.task, { handlers, resolve, reject })
      void this.channel.send({ type: 'run', ...request })
    })
  }

  cancel(task: string): void {
    void this.channel.send({ type: 'cancel', task })
  }

  /** What the batch holds back (`queue`: tasks waiting for dependencies), for the node's monitors. */
  queue(summary: Omit<MessageOf<'queue'>, 'v' | 'type'>): void {
    if (this.lostReason === undefined) void this.channel.send({ type: 'queue', ...summary })
  }

  close(): void {
    this.channel.close(1000, 'submit finished')
  }

  // At most UPLOADS_IN_FLIGHT at once: a node bounds the unfinished uploads of a connection (and a
  // connection gains nothing from more: they share one socket).
  private async upload(blob: Blob): Promise<number> {
    while (this.uploading >= UPLOADS_IN_FLIGHT) await new Promise<void>((resolve) => this.uploadWaiters.push(resolve))
    this.uploading++
    try {
      return await this.uploadNow(blob)
    } finally {
      this.uploading--
      this.uploadWaiters.shift()?.()
    }
  }

  private async uploadNow(blob: Blob): Promise<number> {
    let offset = 0
    // Each chunk is read where its frame carries it, and sent from there (frame-pool.ts).
    for await (const data of fileChunks(blob.absPath, 'r', frameChunks)) {
      await this.channel.send({ type: 'blob', digest: blob.digest, offset, data, final: false })
      offset += data.length
    }
    // Checked before the final chunk: the node would find the digest wrong and drop this connection,
    // and every other task on it. The half upload is dropped with the connection, whenever it ends.
    if (stamped(blob) && (offset !== blob.size || !(await unchangedSince(blob))))
      throw new InputChanged(`input ${blob.absPath} changed while it was being sent; it is hashed and sent again`)
    await this.channel.send({ type: 'blob', digest: blob.digest, offset, data: Buffer.alloc(0), final: true })
    return offset
  }

  private request(message: Outgoing & { id: number }): Promise<Reply> {
    if (this.lostReason) return Promise.reject(new ExternalError(`node ${this.info.name} lost: ${this.lostReason}`))
    return new Promise((resolve) => {
      this.replies.set(message.id, resolve)
      void this.channel.send(message)
    })
  }

  // Not async: the frames of every task (exit, started) are handled with no promise made for them.
  private handle(message: Message): void | Promise<void> {
    switch (message.type) {
      case 'reserved':
      case 'refused':
      case 'probed':
      case 'need': {
        const resolve = this.replies.get(message.id)
        this.replies.delete(message.id)
        resolve?.(message)
        return
      }
      case 'free':
        for (const listener of this.freeListeners) listener()
        return
      case 'started':
        this.runs.get(message.task)?.handlers.onStarted?.()
        return
      case 'held':
        this.runs.get(message.task)?.handlers.onHeld?.(message.reason)
        return
      case 'output':
        return this.runs.get(message.task)?.handlers.onOutput(message.stream, message.data)
      case 'progress':
        this.runs.get(message.task)?.handlers.onProgress?.(message.percent, message.text)
        return
      case 'file':
        return this.file(message)
      case 'exit': {
        const run = this.runs.get(message.task)
        this.runs.delete(message.task)
        // Inputs the node turned out to lack are asked about (and sent) again by the next task needing them.
        for (const digest of message.missing ?? []) this.blobs.delete(digest)
        // A short task's `started` comes in its exit (docs/PROTOCOL.md): handlers see it as before.
        if (message.started === true) run?.handlers.onStarted?.()
        run?.handlers.onExit?.(message)
        run?.resolve(message)
        return
      }
      case 'error': {
        const run = message.task === undefined ? undefined : this.runs.get(message.task)
        if (run && message.task !== undefined) {
          this.runs.delete(message.task)
          const text = `node ${this.info.name}: ${message.message} (${message.code})`
          if (message.code === 'DISTW_ERR_NO_LEASE') {
            run.handlers.onRefused?.()
            run.reject(new LeaseNotHeld(text))
          } else run.reject(new ExternalError(text))
        }
        return
      }
      default:
        throw new ProtocolError('DISTW_ERR_UNEXPECTED', `a submitter does not accept ${message.type}`)
    }
  }

  private async file(message: MessageOf<'file'>): Promise<void> {
    const run = this.runs.get(message.task)
    if (!run) {
      if (this.abandoned.has(message.task)) return
      throw new ProtocolError('DISTW_ERR_UNEXPECTED', `file for unknown task ${message.task}`)
    }
    try {
      await run.handlers.onFile(message)
    } catch (error) {
      if (!(error instanceof ProtocolError && error.code === 'DISTW_ERR_BAD_PATH')) throw error
      this.abandon(message.task, run, error)
    }
  }

  // A returned file this side refuses to write fails its task (not the connection): the rest of that
  // task's frames are dropped and the node is told to stop it.
  private abandon(task: string, run: PendingRun, error: ProtocolError): void {
    this.runs.delete(task)
    this.abandoned.add(task)
    run.reject(new ExternalError(`a returned file was refused: ${error.message}`))
    this.cancel(task)
  }

  // Everything in flight on a lost node fails; the scheduler decides what to retry.
  private lost(reason: string): void {
    if (this.lostReason) return
    this.lostReason = reason
    const error = new ExternalError(`node ${this.info.name} lost: ${reason}`)
    for (const run of this.runs.values()) run.reject(error)
    this.runs.clear()
    for (const resolve of this.replies.values()) resolve({ v: PROTOCOL_VERSION, type: 'refused', id: 0, reason })
    this.replies.clear()
    for (const listener of this.lostListeners.splice(0)) listener(reason)
  }
}

function dedupe(blobs: Blob[]): Blob[] {
  return [...new Map(blobs.map((b) => [b.digest, b])).values()]
}
