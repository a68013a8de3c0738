// The submitter's side of one connection to a node: handshake, reservations, uploads, runs.
// Replies are matched to requests by id (reserve, have) or by task id (a run's events).
import { createReadStream } from 'node:fs'
import { WebSocket } from 'ws'
import {
  CHUNK_BYTES,
  computeProof,
  MAX_FRAME_BYTES,
  newNonce,
  proofMatches,
  ProtocolError,
  type Message,
  type MessageOf,
  type NodeInfo,
  type Outgoing,
} from '../protocol/index.js'
import { Channel } from '../transfer/channel.js'
import { ExternalError, UserError } from '../errors.js'

export interface Blob {
  digest: string
  size: number
  absPath: string
}

export interface RunHandlers {
  onStarted?: () => void
  onOutput: (stream: 'stdout' | 'stderr', data: Buffer) => void
  onFile: (message: MessageOf<'file'>) => Promise<void>
}

type RunRequest = Omit<MessageOf<'run'>, 'v' | 'type'>
type Reply = MessageOf<'reserved'> | MessageOf<'refused'> | MessageOf<'need'>

interface PendingRun {
  handlers: RunHandlers
  resolve: (exit: MessageOf<'exit'>) => void
  reject: (error: Error) => void
}

export class NodeClient {
  private nextId = 1
  private readonly replies = new Map<number, (reply: Reply) => void>()
  private readonly runs = new Map<string, PendingRun>()
  /** Blobs this node has, or is being sent: each crosses the wire at most once per connection. */
  private readonly blobs = new Map<string, Promise<number>>()
  lostReason: string | undefined
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
  static async connect(url: string, options: { secret?: Buffer | undefined; client: string }): Promise<NodeClient> {
    const ws = new WebSocket(url, { maxPayload: MAX_FRAME_BYTES, perMessageDeflate: false, handshakeTimeout: 10_000 })
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve())
      ws.once('error', (error) =>
        reject(
          new ExternalError(`cannot reach node ${url}: ${error.message}`, 'check that `distw daemon` runs there and the port is open'),
        ),
      )
    })
    const channel = new Channel(ws)
    const clientNonce = newNonce()
    const step = nextMessage(channel)
    await channel.send({ type: 'hello', role: 'submit', client: options.client, nonce: clientNonce })
    const challenge = await step()
    if (challenge.type !== 'challenge') throw handshakeError(channel, challenge)
    let proof: Buffer = Buffer.alloc(0)
    if (challenge.auth === 'hmac') {
      if (!options.secret) {
        channel.close()
        throw new UserError(`node ${url} requires a shared secret`, 'pass --secret-file or set DISTW_SECRET')
      }
      if (!proofMatches(computeProof(options.secret, 'distw-v1-node', clientNonce, challenge.nonce), challenge.proof)) {
        channel.close()
        throw new ExternalError(`node ${url} could not prove it knows the secret`, 'check that both sides use the same secret')
      }
      proof = computeProof(options.secret, 'distw-v1-client', clientNonce, challenge.nonce)
    }
    await channel.send({ type: 'auth', proof })
    const welcome = await step()
    if (welcome.type !== 'welcome') throw handshakeError(channel, welcome)
    return new NodeClient(url, challenge.node, channel)
  }

  get connected(): boolean {
    return this.lostReason === undefined
  }

  /** Asks for a lease on `slots` slots: the lease id, or undefined when refused. */
  async reserve(slots: number): Promise<string | undefined> {
    const reply = await this.request({ type: 'reserve', id: this.nextId++, slots })
    this.lastRefusal = reply.type === 'refused' ? reply.reason : undefined
    return reply.type === 'reserved' ? reply.lease : undefined
  }

  release(lease: string): void {
    void this.channel.send({ type: 'release', lease })
  }

  /** Makes sure the node holds every blob, sending only those it lacks. Resolves to the bytes sent. */
  async ensureBlobs(blobs: Blob[]): Promise<number> {
    const unknown = dedupe(blobs.filter((b) => !this.blobs.has(b.digest)))
    if (unknown.length > 0) {
      const asked = this.request({ type: 'have', id: this.nextId++, blobs: unknown.map(({ digest, size }) => ({ digest, size })) })
      for (const blob of unknown) {
        this.blobs.set(
          blob.digest,
          asked.then((reply) => (reply.type === 'need' && reply.digests.includes(blob.digest) ? this.upload(blob) : 0)),
        )
      }
    }
    const sent = await Promise.all(dedupe(blobs).map((b) => this.blobs.get(b.digest) as Promise<number>))
    return sent.reduce((a, b) => a + b, 0)
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

  close(): void {
    this.channel.close(1000, 'submit finished')
  }

  private async upload(blob: Blob): Promise<number> {
    let offset = 0
    for await (const chunk of createReadStream(blob.absPath, { highWaterMark: CHUNK_BYTES })) {
      const data = chunk as Buffer
      await this.channel.send({ type: 'blob', digest: blob.digest, offset, data, final: false })
      offset += data.length
    }
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

  private async handle(message: Message): Promise<void> {
    switch (message.type) {
      case 'reserved':
      case 'refused':
      case 'need': {
        const resolve = this.replies.get(message.id)
        this.replies.delete(message.id)
        resolve?.(message)
        return
      }
      case 'started':
        this.runs.get(message.task)?.handlers.onStarted?.()
        return
      case 'output':
        this.runs.get(message.task)?.handlers.onOutput(message.stream, message.data)
        return
      case 'file': {
        const run = this.runs.get(message.task)
        if (!run) throw new ProtocolError('DISTW_ERR_UNEXPECTED', `file for unknown task ${message.task}`)
        await run.handlers.onFile(message)
        return
      }
      case 'exit': {
        const run = this.runs.get(message.task)
        this.runs.delete(message.task)
        run?.resolve(message)
        return
      }
      case 'error': {
        const run = message.task === undefined ? undefined : this.runs.get(message.task)
        if (run && message.task !== undefined) {
          this.runs.delete(message.task)
          run.reject(new ExternalError(`node ${this.info.name}: ${message.message} (${message.code})`))
        }
        return
      }
      default:
        throw new ProtocolError('DISTW_ERR_UNEXPECTED', `a submitter does not accept ${message.type}`)
    }
  }

  // Everything in flight on a lost node fails; the scheduler decides what to retry.
  private lost(reason: string): void {
    if (this.lostReason) return
    this.lostReason = reason
    const error = new ExternalError(`node ${this.info.name} lost: ${reason}`)
    for (const run of this.runs.values()) run.reject(error)
    this.runs.clear()
    for (const resolve of this.replies.values()) resolve({ v: 1, type: 'refused', id: 0, reason })
    this.replies.clear()
  }
}

function dedupe(blobs: Blob[]): Blob[] {
  return [...new Map(blobs.map((b) => [b.digest, b])).values()]
}

// Waits for messages during the handshake, before the client's own handler takes over.
function nextMessage(channel: Channel): () => Promise<Message> {
  const inbox: Message[] = []
  const waiters: ((m: Message) => void)[] = []
  let closedWith: Error | undefined
  channel.onMessage((m) => {
    const waiter = waiters.shift()
    if (waiter) waiter(m)
    else inbox.push(m)
  })
  channel.on('close', (code, reason) => {
    closedWith = new ExternalError(`node closed the connection during the handshake (${code} ${reason})`)
    for (const waiter of waiters.splice(0)) waiter({ v: 1, type: 'error', code: 'closed', message: closedWith.message })
  })
  return () => {
    const queued = inbox.shift()
    if (queued) return Promise.resolve(queued)
    if (closedWith) return Promise.reject(closedWith)
    return new Promise((resolve) => waiters.push(resolve))
  }
}

function handshakeError(channel: Channel, message: Message): Error {
  channel.close()
  if (message.type === 'error') {
    return message.code === 'DISTW_ERR_AUTH_FAILED'
      ? new UserError(message.message, 'use the same secret (--secret-file / DISTW_SECRET) on both sides')
      : new ExternalError(`node refused the connection: ${message.message}`)
  }
  return new ExternalError(`unexpected ${message.type} during the handshake`)
}
