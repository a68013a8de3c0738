// Shared by the adversarial suite: a real daemon in-process, raw WebSocket access to it, a marker file
// that a hostile task would create if it ran, and the check that the daemon still serves.
import { randomBytes } from 'node:crypto'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterEach, expect } from 'vitest'
import { WebSocket, type ClientOptions } from 'ws'
import { startDaemon, type DaemonOptions, type RunningDaemon } from '../../src/daemon/daemon.js'
import {
  computeProof,
  decodeFrames,
  encodeFrame,
  newNonce,
  tlsClientOptions,
  type Message,
  type Outgoing,
} from '../../src/protocol/index.js'
import { NodeClient } from '../../src/client/node-client.js'
import { submit } from '../../src/submit/submit.js'

const daemons: RunningDaemon[] = []
const folders: string[] = []
const sockets: WebSocket[] = []

afterEach(async () => {
  for (const ws of sockets.splice(0)) ws.terminate()
  for (const d of daemons.splice(0)) await d.close()
  for (const f of folders.splice(0)) await fs.rm(f, { recursive: true, force: true })
})

export async function scratch(prefix = 'distw-sec-'): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), prefix))
  folders.push(dir)
  return dir
}

export async function node(options: DaemonOptions = {}): Promise<RunningDaemon> {
  const d = await startDaemon({ port: 0, slots: 2, killGraceMs: 300, ...options })
  daemons.push(d)
  return d
}

export const SECRET = Buffer.from('0123456789abcdef0123456789abcdef')

/** A path that exists only if some hostile task ran: each test asserts it is still absent. */
export async function marker(): Promise<{ file: string; ran: () => Promise<boolean> }> {
  const dir = await scratch('distw-marker-')
  const file = path.join(dir, `ran-${randomBytes(4).toString('hex')}`)
  return {
    file,
    ran: () =>
      fs.access(file).then(
        () => true,
        () => false,
      ),
  }
}

/** A raw WebSocket; to a node of a pool (wss://) over TLS with SECRET's key, so the HMAC layer inside is what is tested. */
export function open(url: string, options: ClientOptions = {}): Promise<WebSocket> {
  const tls: ClientOptions = url.startsWith('wss://') ? (tlsClientOptions(SECRET) as unknown as ClientOptions) : {}
  const ws = new WebSocket(url, { perMessageDeflate: false, ...tls, ...options })
  sockets.push(ws)
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws))
    ws.once('error', reject)
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)))
  })
}

export function closed(ws: WebSocket): Promise<number> {
  if (ws.readyState === ws.CLOSED) return Promise.resolve(-1)
  return new Promise((resolve) => ws.once('close', (code) => resolve(code)))
}

/** The next decoded frame from a raw socket, which must hold one message (a batch is an error here, never dropped). */
export function nextFrame(ws: WebSocket): Promise<Message> {
  return new Promise((resolve, reject) => {
    ws.once('message', (data) => {
      try {
        const messages = decodeFrames(data as Buffer)
        if (messages.length !== 1) throw new Error(`a batch of ${messages.length} messages where one was awaited`)
        resolve(messages[0] as Message)
      } catch (error) {
        reject(error as Error)
      }
    })
    ws.once('close', (code) => reject(new Error(`closed ${code}`)))
  })
}

export function send(ws: WebSocket, message: Outgoing): void {
  ws.send(encodeFrame(message))
}

/** A raw connection (a submitter's, or a monitor's) through the whole handshake (with the secret when given); resolves once welcomed. */
export async function authenticated(url: string, secret?: Buffer, role: 'submit' | 'watch' = 'submit'): Promise<WebSocket> {
  const ws = await open(url)
  const clientNonce = newNonce()
  const challenge = nextFrame(ws)
  send(ws, { type: 'hello', role, client: 'raw', nonce: clientNonce })
  const c = await challenge
  if (c.type !== 'challenge') throw new Error(`got ${c.type}`)
  const welcome = nextFrame(ws)
  send(ws, { type: 'auth', proof: secret ? computeProof(secret, 'distw-v1-client', clientNonce, c.nonce) : Buffer.alloc(0) })
  expect((await welcome).type).toBe('welcome')
  return ws
}

/** A proper submitter still gets a task run and its file back. */
export async function stillServes(d: RunningDaemon, secret?: Buffer): Promise<void> {
  const dir = await scratch('distw-serve-')
  const batch = await submit({
    tasks: 'echo ok > ok.txt',
    cwd: dir,
    peers: [d.url.replace(/^wss?:\/\//, '')],
    ...(secret ? { secret, insecure: plainWithSecret(d) } : {}),
  })
  expect(batch.ok).toBe(true)
  expect(await fs.readFile(path.join(dir, 'ok.txt'), 'utf8')).toBe('ok\n')
}

/** Runs one task over a fresh authenticated client; resolves to its exit message (or the error). */
export async function runOne(
  d: RunningDaemon,
  run: {
    command: { shell: string } | { argv: string[] }
    env?: Record<string, string>
    files?: { path: string; digest: string; mode: number }[]
    outputs?: string[]
    timeoutMs?: number
  },
  secret?: Buffer,
  onStarted?: () => void,
) {
  const client = await NodeClient.connect(d.url, { client: 'test', secret, insecure: plainWithSecret(d) })
  try {
    const lease = await client.reserve(1)
    if (!lease) throw new Error('no lease')
    let output = ''
    const files: string[] = []
    const exit = await client.run(
      {
        lease,
        task: 't1',
        name: 'hostile',
        command: run.command,
        env: run.env ?? {},
        files: run.files ?? [],
        outputs: run.outputs ?? [],
        ...(run.timeoutMs ? { timeoutMs: run.timeoutMs } : {}),
      },
      {
        ...(onStarted ? { onStarted } : {}),
        onOutput: (_s, data) => {
          output += data.toString()
        },
        onFile: async (file) => {
          if (file.final) files.push(file.path)
        },
      },
    )
    return { exit, output, files }
  } finally {
    client.close()
  }
}

/** Every frame a raw socket receives until it closes (or the time runs out), and the close code (-1: still open). */
export function framesUntilClose(ws: WebSocket, timeoutMs = 20_000): Promise<{ frames: Message[]; code: number }> {
  const frames: Message[] = []
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve({ frames, code: -1 }), timeoutMs)
    ws.on('message', (data) => {
      try {
        frames.push(...decodeFrames(data as Buffer))
      } catch {
        // not a frame the test cares about
      }
    })
    ws.once('close', (code) => (clearTimeout(timer), resolve({ frames, code })))
  })
}

/** A lease on a raw authenticated socket. */
export async function reserveRaw(ws: WebSocket): Promise<string> {
  const reply = nextFrame(ws)
  send(ws, { type: 'reserve', id: 1, slots: 1 })
  const r = await reply
  if (r.type !== 'reserved') throw new Error(`got ${r.type}`)
  return r.lease
}

/** A node started with --insecure and a secret speaks plain WebSocket (its URL is ws://): so must the client. */
function plainWithSecret(d: RunningDaemon): boolean {
  return d.url.startsWith('ws://')
}
