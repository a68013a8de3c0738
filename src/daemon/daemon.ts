// A node: an HTTP server carrying the WebSocket endpoint, the slot table, the blob cache and the task
// folders. `distw daemon` runs one; `distw submit` embeds one when no other node is there. What it is
// given, and the defaults, are options.ts's.
import { randomUUID } from 'node:crypto'
import fs from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { WebSocketServer } from 'ws'
import { DEFAULT_PORT, LEASE_TTL_MS, MAX_FRAME_BYTES, nodeUrl, poolId, type NodeInfo } from '../protocol/index.js'
import { Channel } from '../transfer/channel.js'
import { keepAlive } from '../transfer/heartbeat.js'
import { wsUsesBufferutil } from '../transfer/native.js'
import { VERSION } from '../version.js'
import { AddressAllowList } from './server/address-allow.js'
import { AuthLimiter } from './server/auth-limiter.js'
import { checkBind } from './server/bind-policy.js'
import { startAnnouncer } from '../discovery/announcer.js'
import { BlobStore } from './blobs/blob-store.js'
import { lockFolder } from './folder-lock.js'
import { NodePolicy, type PolicyState } from './policy/policy.js'
import { baseEnv } from './policy/env.js'
import { NodeState } from './monitor/node-state.js'
import type { NodeContext } from './server/node-context.js'
import { Session } from './server/session.js'
import { SlotTable } from './policy/slots.js'
import { cgroupIfKilled, forgetRemoval, removeIfKilled, warmUpSpawnHelper } from './run/spawn-helper-client.js'
import { openTaskTree } from './run/task-tree.js'
import { TaskFolders } from './run/task-folders.js'
import { TaskPolicy } from './policy/task-policy.js'
import { openApprovals } from './policy/approvals.js'
import { checkUpgrade } from './server/upgrade-gate.js'
import { listenError } from './server/listen-error.js'
import { createNodeServer } from './server/node-server.js'
import { DEFAULT_CACHE_BYTES, DEFAULT_MAX_OUTPUT_BYTES, DEFAULT_SUBMITTER_GRACE_MS, defaultSlots, type DaemonOptions } from './options.js'

export type { DaemonOptions } from './options.js'

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

export async function startDaemon(options: DaemonOptions = {}): Promise<RunningDaemon> {
  const host = options.host ?? '127.0.0.1'
  const log = options.log ?? (() => {})
  const bindNote = checkBind(host, options.secret !== undefined, options.insecure ?? false)
  const allow = new AddressAllowList(options.allow ?? [])
  const limiter = new AuthLimiter(log, options.authLimits)
  const approvals = options.approve && (await openApprovals(options.approve))
  const ownsWorkDir = options.workDir === undefined
  const workDir = options.workDir ?? (await fs.mkdtemp(path.join(os.tmpdir(), 'distw-node-')))
  // Its blob cache may hold gigabytes: a daemon killed outright must not leave it in /tmp.
  if (ownsWorkDir) removeIfKilled(workDir)
  // A work folder given by the user may be another daemon's: its task folders are emptied below.
  const unlockWorkDir = ownsWorkDir ? async () => {} : await lockFolder(workDir, 'work folder', '--work-dir')
  const cacheCap = options.cacheBytes ?? DEFAULT_CACHE_BYTES
  const openFolders = async () => {
    const folders = await TaskFolders.open(workDir, log)
    const cacheDir = options.cacheDir ?? path.join(workDir, 'cache')
    const locked = !ownsWorkDir && path.resolve(cacheDir) === path.resolve(workDir)
    return {
      folders,
      store: await BlobStore.open(cacheDir, {
        maxBytes: cacheCap,
        taskRoot: folders.root,
        locked,
        ...(options.uploadLimits ? { uploads: options.uploadLimits } : {}),
      }),
    }
  }
  // A daemon that cannot start (its folder is another's, its port is taken) leaves nothing behind.
  const giveUp = async (error: unknown): Promise<never> => {
    await unlockWorkDir()
    if (ownsWorkDir) {
      await fs.rm(workDir, { recursive: true, force: true })
      forgetRemoval(workDir)
    }
    throw error
  }
  const id = randomUUID()
  const tree = await openTaskTree(id, {
    ...(options.cgroups === undefined ? {} : { cgroups: options.cgroups }),
    ...(options.taskCaps === undefined ? {} : { caps: options.taskCaps }),
  }).catch(giveUp)
  if (tree.dir !== undefined) cgroupIfKilled(tree.dir)
  // A cgroup still busy after the tries stays known to the spawn helper, which removes it when this process ends.
  const closeTree = async (): Promise<void> => {
    if ((await tree.close()) && tree.dir !== undefined) cgroupIfKilled(tree.dir, true)
  }
  const { folders, store } = await openFolders().catch(async (error: unknown) => (await closeTree(), giveUp(error)))
  const info: NodeInfo = {
    id,
    name: options.name ?? os.hostname(),
    version: VERSION,
    os: process.platform,
    arch: process.arch,
    slots: options.slots ?? defaultSlots(),
    tags: options.tags ?? [],
    memory: os.totalmem(),
    cpus: os.availableParallelism(),
  }
  const stopping = new AbortController()
  const slots = new SlotTable(info.slots, options.leaseTtlMs ?? LEASE_TTL_MS)
  const node: NodeContext = {
    info,
    secret: options.secret,
    limiter,
    slots,
    state: new NodeState(
      info,
      slots,
      () => node.policy.pauseReason(),
      () => ({ usedBytes: store.usedBytes, capBytes: Math.min(cacheCap, Number.MAX_SAFE_INTEGER) }),
      tree.info,
    ),
    store,
    log,
    submitterGraceMs: options.submitterGraceMs ?? DEFAULT_SUBMITTER_GRACE_MS,
    stopping: stopping.signal,
    policy: new NodePolicy(options.nodePolicy ?? {}, options.policyEnvironment, log),
    approvals,
    task: {
      store,
      folders,
      killGraceMs: options.killGraceMs ?? 2000,
      maxOutputBytes: options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES,
      baseEnv: baseEnv(info.name, options.passEnv),
      tree,
      policy: new TaskPolicy({ ...options.policy, ...(approvals ? { approvals: approvals.book } : {}) }),
      maxTaskDiskBytes: options.maxTaskDiskBytes,
    },
  }
  // A pause that ends frees no slot, so the submitters it refused are told here, not after their fallback.
  node.policy.on('open', () => slots.announceFree())

  // With a secret the WebSocket runs over TLS with the pool's key, unless --insecure asks for plain ws.
  const nodeServer = createNodeServer({
    secret: options.secret,
    tls: options.secret !== undefined && !(options.insecure ?? false),
    limiter,
    handler: (_req, res) => {
      res.writeHead(426, { 'content-type': 'text/plain' }).end('distw node: connect with a WebSocket client (distw submit)\n')
    },
  })
  const server = nodeServer.listener
  const wss = new WebSocketServer({
    server: nodeServer.http,
    maxPayload: MAX_FRAME_BYTES,
    perMessageDeflate: false,
    verifyClient: ({ req }, done) => {
      const verdict = checkUpgrade(req, allow, limiter)
      if (!verdict.ok) limiter.refused(req.socket.remoteAddress ?? '?', verdict.reason)
      done(verdict.ok, verdict.status, verdict.reason)
    },
  })
  wss.on('connection', (ws, req) => {
    const peer = `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}`
    keepAlive(ws, options.heartbeatMs)
    new Session(new Channel(ws), node, peer)
  })
  // ws re-emits the http server's errors: one from listen() is the listen error below, said once.
  wss.on('error', (error) => server.listening && log('server error', { error: error.message }))

  const listenPort = options.port ?? DEFAULT_PORT
  await new Promise<void>((resolve, reject) => {
    const failed = (error: NodeJS.ErrnoException): void => reject(listenError(error, host, listenPort))
    server.once('error', failed)
    server.listen(listenPort, host, () => {
      server.off('error', failed)
      resolve()
    })
  }).catch(async (error: unknown) => {
    await store.close()
    await closeTree()
    return giveUp(error)
  })
  const port = (server.address() as AddressInfo).port
  warmUpSpawnHelper()
  log('listening', {
    host,
    port,
    slots: info.slots,
    workDir,
    cache: store.root,
    reflinks: store.reflinks,
    bufferutil: wsUsesBufferutil(),
    auth: options.secret ? 'hmac' : 'none',
    tls: nodeServer.tls ? 'psk' : 'none',
    tree: tree.info.method,
    ...(tree.info.note === undefined ? {} : { treeNote: tree.info.note }),
  })
  if (bindNote) log(bindNote)
  const announcer = options.announce
    ? await startAnnouncer({
        ...options.announce,
        info,
        host,
        port,
        freeSlots: () => node.slots.free,
        log,
        pool: options.secret === undefined ? undefined : poolId(options.secret),
      })
    : undefined

  return {
    info,
    host,
    port,
    url: nodeServer.tls ? nodeUrl(host, port).replace(/^ws:/, 'wss:') : nodeUrl(host, port),
    workDir,
    policyState: () => node.policy.policyState(),
    async close() {
      stopping.abort()
      await announcer?.close()
      node.policy.stop()
      for (const client of wss.clients) client.terminate()
      await new Promise<void>((resolve) => wss.close(() => resolve()))
      await new Promise<void>((resolve) => server.close(() => resolve()))
      // Let the tasks killed by the terminated sessions remove their folders.
      await waitForEmpty(folders.root, 5000)
      await closeTree()
      await folders.close()
      await store.close()
      await unlockWorkDir()
      if (ownsWorkDir) {
        await fs.rm(workDir, { recursive: true, force: true })
        forgetRemoval(workDir)
      }
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
