// One submitter's connection to this node: the handshake, then its reservations, uploads and tasks.
// Everything it sends has already passed decodeFrame; what it asks for is still checked here.
import { randomUUID } from 'node:crypto'
import {
  computeProof,
  HANDSHAKE_TIMEOUT_MS,
  newNonce,
  proofMatches,
  ProtocolError,
  type Message,
  type MessageOf,
  type NodeInfo,
} from '../protocol/index.js'
import type { Channel } from '../transfer/channel.js'
import { checkWirePath } from '../transfer/paths.js'
import type { BlobStore } from './blob-store.js'
import type { SlotTable } from './slots.js'
import type { NodePolicy } from './policy.js'
import { runTask, type TaskRunContext } from './task-run.js'

export interface NodeContext {
  info: NodeInfo
  secret: Buffer | undefined
  slots: SlotTable
  store: BlobStore
  task: TaskRunContext
  log: (event: string, fields?: Record<string, unknown>) => void
  policy: NodePolicy
}

type State = { phase: 'hello' } | { phase: 'auth'; clientNonce: Buffer; nodeNonce: Buffer } | { phase: 'ready' }

export class Session {
  readonly id = randomUUID()
  private state: State = { phase: 'hello' }
  private readonly tasks = new Map<string, { abort: AbortController; lease: string }>()
  private readonly uploads = new Set<string>()
  private readonly handshakeTimer: NodeJS.Timeout

  constructor(
    private readonly channel: Channel,
    private readonly node: NodeContext,
    readonly peer: string,
  ) {
    this.handshakeTimer = setTimeout(
      () => channel.fail(new ProtocolError('DISTW_ERR_HANDSHAKE_TIMEOUT', 'no handshake in time')),
      HANDSHAKE_TIMEOUT_MS,
    )
    channel.onMessage((message) => this.handle(message))
    channel.on('failure', (error) => node.log('connection refused', { peer, code: error.code, reason: error.message }))
    channel.on('close', () => this.closed())
  }

  private handle(message: Message): Promise<void> | void {
    if (this.state.phase !== 'ready') return this.handshake(message)
    switch (message.type) {
      case 'reserve':
        return this.reserve(message)
      case 'release':
        this.node.slots.release(message.lease, this.id)
        return
      case 'have':
        return this.have(message)
      case 'blob':
        this.uploads.add(message.digest)
        if (message.final) this.uploads.delete(message.digest)
        return this.node.store.write(message.digest, message.offset, message.data, message.final)
      case 'run':
        return this.run(message)
      case 'cancel':
        this.tasks.get(message.task)?.abort.abort()
        return
      case 'error':
        this.node.log('peer error', { peer: this.peer, code: message.code, message: message.message })
        return
      case 'hello':
      case 'auth':
      case 'challenge':
      case 'welcome':
      case 'reserved':
      case 'refused':
      case 'need':
      case 'started':
      case 'output':
      case 'file':
      case 'exit':
        throw new ProtocolError('DISTW_ERR_UNEXPECTED', `a node does not accept ${message.type} here`)
    }
  }

  private async handshake(message: Message): Promise<void> {
    const { state } = this
    if (state.phase === 'hello' && message.type === 'hello') {
      const nodeNonce = newNonce()
      const secret = this.node.secret
      this.state = { phase: 'auth', clientNonce: message.nonce, nodeNonce }
      await this.channel.send({
        type: 'challenge',
        auth: secret ? 'hmac' : 'none',
        nonce: nodeNonce,
        proof: secret ? computeProof(secret, 'distw-v1-node', message.nonce, nodeNonce) : Buffer.alloc(0),
        node: this.node.info,
      })
      return
    }
    if (state.phase === 'auth' && message.type === 'auth') {
      const secret = this.node.secret
      if (secret && !proofMatches(computeProof(secret, 'distw-v1-client', state.clientNonce, state.nodeNonce), message.proof)) {
        throw new ProtocolError('DISTW_ERR_AUTH_FAILED', 'authentication failed: check that both sides use the same secret')
      }
      clearTimeout(this.handshakeTimer)
      this.state = { phase: 'ready' }
      this.node.log('client connected', { peer: this.peer, session: this.id })
      await this.channel.send({ type: 'welcome', session: this.id })
      return
    }
    throw new ProtocolError('DISTW_ERR_NOT_AUTHENTICATED', `${message.type} before the handshake completed`)
  }

  private async reserve(message: MessageOf<'reserve'>): Promise<void> {
    const pause = this.node.policy.pauseReason()
    if (pause) this.node.log('reservation refused', { session: this.id, reason: pause })
    if (pause) return void (await this.channel.send({ type: 'refused', id: message.id, reason: pause }))
    const lease = this.node.slots.reserve(this.id, message.slots)
    if (lease) await this.channel.send({ type: 'reserved', id: message.id, lease, ttlMs: this.node.slots.ttlMs })
    else
      await this.channel.send({ type: 'refused', id: message.id, reason: `${message.slots} slot(s) asked, ${this.node.slots.free} free` })
  }

  private async have(message: MessageOf<'have'>): Promise<void> {
    const missing: string[] = []
    for (const blob of message.blobs) if (!(await this.node.store.has(blob.digest))) missing.push(blob.digest)
    await this.channel.send({ type: 'need', id: message.id, digests: missing })
  }

  private run(message: MessageOf<'run'>): void {
    if (this.tasks.has(message.task)) throw new ProtocolError('DISTW_ERR_UNEXPECTED', `task ${message.task} is already running`)
    // Paths are checked before anything is created, so a hostile list fails as a whole.
    for (const file of message.files) checkWirePath(file.path)
    if (!this.node.slots.use(this.id, message.lease)) {
      void this.channel.send({
        type: 'error',
        code: 'DISTW_ERR_NO_LEASE',
        message: `lease ${message.lease} is not held`,
        task: message.task,
      })
      return
    }
    const abort = new AbortController()
    this.tasks.set(message.task, { abort, lease: message.lease })
    this.node.log('task started', { session: this.id, task: message.name })
    const budgetEnded = this.node.policy.taskStarted(() => abort.abort())
    void runTask(message, this.node.task, this.channel, abort.signal)
      .catch((error: Error) => this.node.log('task error', { task: message.name, error: error.message }))
      .finally(() => {
        budgetEnded()
        this.tasks.delete(message.task)
        this.node.slots.release(message.lease)
        this.node.log('task ended', { session: this.id, task: message.name })
      })
  }

  // The submitter is gone: its tasks are killed and their folders removed, its leases and uploads dropped.
  private closed(): void {
    clearTimeout(this.handshakeTimer)
    for (const task of this.tasks.values()) task.abort.abort()
    this.node.slots.releaseOwner(this.id)
    this.node.store.abortAll(this.uploads)
    if (this.state.phase === 'ready') this.node.log('client disconnected', { peer: this.peer, session: this.id })
  }
}
