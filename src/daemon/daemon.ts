// A node: an HTTP server carrying the WebSocket endpoint, the slot table, the blob cache and the task
// folders. `distw daemon` runs one; `distw submit` embeds one when no other node is there.
import { randomUUID } from 'node:crypto'
import fs from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { WebSocketServer } from 'ws'
import { LEASE_TTL_MS, MAX_FRAME_BYTES, type NodeInfo } from '../protocol/index.js'
import { Channel } from '../transfer/channel.js'
import { VERSION } from '../version.js'
import { BlobStore } from './blob-store.js'
import { NodePolicy, type PolicyEnvironment, type PolicyOptions, type PolicyState } from './policy.js'
import { baseEnv } from './env.js'
import { Session, type NodeContext } from './session.js'
import { SlotTable } from './slots.js'

export interface DaemonOptions {
  port?: number
  host?: string
  slots?: number
  /** Where task folders and the blob cache live; default: a folder under the OS temp dir. */
  workDir?: string
  name?: string
  tags?: string[]
  secret?: Buffer
  maxOutputBytes?: number
  killGraceMs?: number
  log?: (event: string, fields?: Record<string, unknown>) => void
  /** When new tasks are accepted (hours, load, daily budget); running tasks are never stopped by it. */
  policy?: PolicyOptions
  /** Clock and load source for the policy (tests inject them). */
  policyEnvironment?: PolicyEnvironment
}

export interface RunningDaemon {
  info: NodeInfo
  host: string
  port: number
  url: string
  workDir: string
  /** Whether the node accepts new tasks now, and why not (for `peers`/`top`). */
  policyState(): PolicyState
  close(): Promise<void>
}

export const DEFAULT_PORT = 7420

/** cores − 1, at least 1: the machine stays usable for the person sitting at it. */
export function defaultSlots(): number {
  return Math.max(1, os.availableParallelism() - 1)
}

export async function startDaemon(options: DaemonOptions = {}): Promise<RunningDaemon> {
  const host = options.host ?? '127.0.0.1'
  const ownsWorkDir = options.workDir === undefined
  const workDir = options.workDir ?? (await fs.mkdtemp(path.join(os.tmpdir(), 'distw-node-')))
  const workRoot = path.join(workDir, 'tasks')
  await fs.rm(workRoot, { recursive: true, force: true }) // folders of a previous, crashed run
  await fs.mkdir(workRoot, { recursive: true })
  const store = await BlobStore.open(path.join(workDir, 'cache'))
  const info: NodeInfo = {
    id: randomUUID(),
    name: options.name ?? os.hostname(),
    version: VERSION,
    os: process.platform,
    arch: process.arch,
    slots: options.slots ?? defaultSlots(),
    tags: options.tags ?? [],
  }
  const log = options.log ?? (() => {})
  const node: NodeContext = {
    info,
    secret: options.secret,
    slots: new SlotTable(info.slots, LEASE_TTL_MS),
    store,
    log,
    policy: new NodePolicy(options.policy ?? {}, options.policyEnvironment, log),
    task: {
      store,
      workRoot,
      killGraceMs: options.killGraceMs ?? 2000,
      maxOutputBytes: options.maxOutputBytes ?? 1024 ** 3,
      baseEnv: baseEnv(info.name),
    },
  }

  const server: Server = createServer((_req, res) => {
    res.writeHead(426, { 'content-type': 'text/plain' }).end('distw node: connect with a WebSocket client (distw submit)\n')
  })
  const wss = new WebSocketServer({ server, maxPayload: MAX_FRAME_BYTES, perMessageDeflate: false })
  wss.on('connection', (ws, req) => {
    const peer = `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}`
    new Session(new Channel(ws), node, peer)
  })
  wss.on('error', (error) => log('server error', { error: error.message }))

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? DEFAULT_PORT, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const port = (server.address() as AddressInfo).port
  log('listening', { host, port, slots: info.slots, workDir })

  return {
    info,
    host,
    port,
    url: `ws://${host.includes(':') ? `[${host}]` : host}:${port}`,
    workDir,
    policyState: () => node.policy.policyState(),
    async close() {
      node.policy.stop()
      for (const client of wss.clients) client.terminate()
      await new Promise<void>((resolve) => wss.close(() => resolve()))
      await new Promise<void>((resolve) => server.close(() => resolve()))
      // Let the tasks killed by the terminated sessions remove their folders.
      await waitForEmpty(workRoot, 5000)
      if (ownsWorkDir) await fs.rm(workDir, { recursive: true, force: true })
    },
  }
}

async function waitForEmpty(dir: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if ((await fs.readdir(dir).catch(() => [])).length === 0) return
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}
