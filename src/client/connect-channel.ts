// Opening a connection to a node: the WebSocket (over TLS with the pool's key when this side has a
// secret), then hello → challenge → auth → welcome, with the node proving it knows the shared secret
// before this side proves it does. Shared by submitters (role 'submit') and monitors (role 'watch').
import { WebSocket } from 'ws'
import type { ConnectionOptions } from 'node:tls'
import { computeProof, MAX_FRAME_BYTES, newNonce, proofMatches, tlsClientOptions, type Message, type NodeInfo } from '../protocol/index.js'
import { Channel } from '../transfer/channel.js'
import { keepAlive } from '../transfer/heartbeat.js'
import { ExternalError, UserError } from '../errors.js'

export interface ConnectOptions {
  secret?: Buffer | undefined
  /** Plain WebSocket even with a secret, to a node started with --insecure (debugging): no encryption. */
  insecure?: boolean | undefined
  /** Who is asking, `user@host`: shown to monitors, and what lets a monitor cancel its own tasks. */
  client: string
  role: 'submit' | 'watch'
  /** Ping interval; a node silent for two is lost (default: heartbeat.ts). */
  heartbeatMs?: number | undefined
  /** Aborting gives up on a connection not yet made (the batch ended while a node was being dialled). */
  signal?: AbortSignal | undefined
}

/** No one answered at the address (nothing listens yet, the host is down or unroutable): worth dialling again later. */
export class NodeUnreachable extends ExternalError {}
const DOWN = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ETIMEDOUT', 'ECONNRESET', 'EAI_AGAIN'])

// RFC 6455's client mask keeps script in a browser from choosing the bytes a caching proxy sees; a
// distw client is no browser and talks to the node directly. A zero key (ws then skips the masking)
// spares a copy of every byte sent into fresh memory, the larger part of an upload's CPU (measured).
const zeroMask = (mask: Buffer): void => void mask.fill(0)

// Resolves with the open channel and what the node said about itself, once the handshake is done.
export async function connectChannel(url: string, options: ConnectOptions): Promise<{ channel: Channel; node: NodeInfo }> {
  if (options.signal?.aborted) throw new ExternalError(`gave up connecting to ${url}`)
  const { url: wireUrl, tls } = transport(url, options)
  const ws = new WebSocket(wireUrl, {
    maxPayload: MAX_FRAME_BYTES,
    perMessageDeflate: false,
    handshakeTimeout: 10_000,
    generateMask: zeroMask,
    ...tls,
  })
  const giveUp = (): void => ws.terminate()
  options.signal?.addEventListener('abort', giveUp, { once: true })
  try {
    return await handshake(ws, url, options)
  } finally {
    options.signal?.removeEventListener('abort', giveUp)
  }
}

// A secret means TLS with the pool's key (a node address is written ws://, the secret decides); plain
// only when asked (--insecure) or without a secret.
function transport(url: string, options: ConnectOptions): { url: string; tls?: ConnectionOptions } {
  const secure = url.startsWith('wss://')
  if (options.secret === undefined) {
    if (secure) throw new UserError(`node ${url} is of a pool (TLS with its key)`, 'join its pool: `distw pool join CODE`')
    return { url }
  }
  if (options.insecure && !secure) return { url }
  return { url: url.replace(/^ws:/, 'wss:'), tls: tlsClientOptions(options.secret) }
}

// What a failed TLS handshake means for the user; undefined: not one.
function poolRefusal(url: string, error: NodeJS.ErrnoException): Error | undefined {
  const said = `${error.code ?? ''} ${error.message}`
  const tls = /psk identity|decrypt|bad record mac|handshake failure|wrong version number/i.exec(said)
  if (tls)
    return new UserError(
      `node ${url} refused this pool's key (TLS: ${tls[0].toLowerCase()}): it is of another pool, has no secret, or was started with --insecure`,
      'use the same pool on both sides (`distw pool show` there, `distw pool join CODE` here); for an --insecure node add --insecure here',
    )
  return undefined
}

async function handshake(ws: WebSocket, url: string, options: ConnectOptions): Promise<{ channel: Channel; node: NodeInfo }> {
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve())
    ws.once('error', (error: NodeJS.ErrnoException) => {
      const refusal = poolRefusal(url, error)
      if (refusal) return reject(refusal)
      const Kind = error.code !== undefined && DOWN.has(error.code) ? NodeUnreachable : ExternalError
      reject(new Kind(`cannot reach node ${url}: ${error.message}`, 'check that `distw daemon` runs there and the port is open'))
    })
    // The node turned the connection down before the WebSocket opened (--allow, too many failed
    // handshakes): its reason is the response's body, said here rather than a bare status code.
    ws.once('unexpected-response', (_req, res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (body = (body + chunk).slice(0, 500)))
      res.once('end', () => {
        reject(refusal(url, res.statusCode ?? 0, body.trim()))
        ws.terminate()
      })
    })
  })
  const channel = new Channel(ws)
  keepAlive(ws, options.heartbeatMs)
  const clientNonce = newNonce()
  const step = nextMessage(channel)
  await channel.send({ type: 'hello', role: options.role, client: options.client, nonce: clientNonce })
  const challenge = await step()
  if (challenge.type !== 'challenge') throw handshakeError(channel, challenge)
  // With a secret, a node that does not prove it knows it is an impostor (or a misconfigured node):
  // never hand it tasks or files. Discovery answers are only hints; this is the identity check.
  if (options.secret && challenge.auth !== 'hmac') {
    channel.close()
    throw new ExternalError(
      `node ${url} does not use a shared secret, but this side has one: refusing to trust it`,
      'start that node with the same --secret-file, or connect without a secret',
    )
  }
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
  return { channel, node: challenge.node }
}

// Waits for messages during the handshake, before the client's own handler takes over.
function nextMessage(channel: Channel): () => Promise<Message> {
  const inbox: Message[] = []
  const waiters: { resolve: (m: Message) => void; reject: (error: Error) => void }[] = []
  let closedWith: Error | undefined
  channel.onMessage((m) => {
    const waiter = waiters.shift()
    if (waiter) waiter.resolve(m)
    else inbox.push(m)
  })
  channel.on('close', (code, reason) => {
    closedWith = new ExternalError(`node closed the connection during the handshake (${code} ${reason})`)
    const refused = new ExternalError(`node refused the connection: ${closedWith.message}`)
    for (const waiter of waiters.splice(0)) waiter.reject(refused)
  })
  return () => {
    const queued = inbox.shift()
    if (queued) return Promise.resolve(queued)
    if (closedWith) return Promise.reject(closedWith)
    return new Promise((resolve, reject) => waiters.push({ resolve, reject }))
  }
}

// The node's HTTP answer instead of a WebSocket: a pool node to a plain client (401), --allow (403),
// too many failed handshakes (429).
function refusal(url: string, status: number, reason: string): Error {
  if (status === 401)
    return new UserError(
      `node ${url} requires a shared secret (it is of a pool, and speaks TLS only)`,
      'join its pool: `distw pool join CODE` (or pass --secret-file / DISTW_SECRET)',
    )
  const said = reason === '' ? `HTTP ${status}` : `${reason} (HTTP ${status})`
  const hint =
    status === 403
      ? "ask the node's owner to allow this address (distw daemon --allow ADDRESS/CIDR)"
      : status === 429
        ? 'wait a minute before trying again, and check the secret'
        : undefined
  return new ExternalError(`node ${url} refused the connection: ${said}`, ...(hint === undefined ? [] : [hint]))
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
