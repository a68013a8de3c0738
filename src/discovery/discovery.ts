// The submitter's side of discovery: one live set of nodes, merged from mDNS, UDP broadcast probes and
// static peers, de-duplicated by node id, with typed add/update/remove events. Discovery is a hint:
// every `intervalMs` it probes again (a fresh mDNS browse and a broadcast), and a node that has not
// answered for `staleMs` is removed (a node killed with SIGKILL sends no goodbye). The WebSocket
// connection, not this set, decides whether a node that runs tasks is alive.
import type { Bonjour, Browser, Service } from 'bonjour-service'
import dgram from 'node:dgram'
import { EventEmitter } from 'node:events'
import {
  decodeDatagram,
  decodeTxt,
  DEFAULT_PORT,
  encodeDatagram,
  MDNS_SERVICE_TYPE,
  nodeUrl,
  poolId,
  PROTOCOL_VERSION,
  type DiscoveryAnswer,
  type NodeInfo,
} from '../protocol/index.js'
import { broadcastAddresses } from './broadcast-addresses.js'
import { newBonjour } from './interfaces.js'
import { resolveTargets, staticTargets, type StaticTarget } from './static-peers.js'

export type FoundVia = 'mdns' | 'broadcast' | 'static'

export interface DiscoveredNode {
  info: NodeInfo
  /** The address the node answered from (the first one seen, kept while it answers there). */
  address: string
  port: number
  url: string
  /** Free slots when the node last answered (UDP answers are live; TXT records are a snapshot). */
  free: number
  via: FoundVia[]
  /** Every address the node answered from: a host on several networks is still one node. */
  addresses: string[]
  lastSeen: number
}

export interface DiscoveryEvents {
  add: [node: DiscoveredNode]
  update: [node: DiscoveredNode]
  remove: [node: DiscoveredNode, reason: string]
  warning: [message: string]
}

export interface DiscoveryOptions {
  /** Browse `_distw._tcp` over mDNS (default true). */
  mdns?: boolean
  /** Send UDP probes to every interface's broadcast address (default true). */
  broadcast?: boolean
  /** Port the broadcast probe goes to: the port nodes listen on (default 7420). */
  port?: number
  /** Static peers, HOST[:PORT]: probed by unicast UDP. */
  peers?: string[]
  /** How often to probe again (default 1000 ms). */
  intervalMs?: number
  /** A node silent this long is removed (default 3500 ms: three missed probes). */
  staleMs?: number
  /** This side's pool id: only nodes of the same pool (or, without one, of none) are kept. */
  pool?: string | undefined
}

export class Discovery extends EventEmitter<DiscoveryEvents> {
  private readonly found = new Map<string, DiscoveredNode>()
  /** Ids of nodes heard that belong to another pool (or to none, or to one when this side has none). */
  private readonly strangers = new Set<string>()
  private readonly pool: string | undefined
  private readonly statics: StaticTarget[]
  private readonly bonjour: Bonjour | undefined
  private browser: Browser | undefined
  private readonly udp: dgram.Socket
  private readonly timer: NodeJS.Timeout
  private closed = false

  private constructor(
    private readonly options: Required<Omit<DiscoveryOptions, 'peers' | 'pool'>>,
    statics: StaticTarget[],
    udp: dgram.Socket,
    pool: string | undefined,
  ) {
    super()
    this.pool = pool
    this.statics = statics
    this.udp = udp
    udp.on('message', (bytes, from) => this.onDatagram(bytes, from.address))
    udp.on('error', (error) => this.emit('warning', `discovery socket: ${error.message}`))
    this.bonjour = options.mdns ? newBonjour((error: Error) => this.emit('warning', `mdns: ${error.message}`)) : undefined
    this.timer = setInterval(() => this.sweep(), options.intervalMs)
    this.timer.unref()
  }

  /** Starts listening and sends the first probes at once. */
  static async start(options: DiscoveryOptions = {}): Promise<Discovery> {
    const statics = await resolveTargets(staticTargets(options.peers ?? []))
    const udp = dgram.createSocket({ type: 'udp4' })
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject)
      udp.bind(0, '0.0.0.0', () => {
        udp.off('error', reject)
        resolve()
      })
    })
    udp.setBroadcast(true)
    const discovery = new Discovery(
      {
        mdns: options.mdns ?? true,
        broadcast: options.broadcast ?? true,
        port: options.port ?? DEFAULT_PORT,
        intervalMs: options.intervalMs ?? 1000,
        staleMs: options.staleMs ?? 3500,
      },
      statics,
      udp,
      options.pool,
    )
    // Listeners attach after start() resolves; the first probe goes out on the next tick.
    setImmediate(() => discovery.sweep())
    return discovery
  }

  /** How many nodes of other pools answered (they are never used). */
  otherPools(): number {
    return this.strangers.size
  }

  /** The nodes known now. */
  nodes(): DiscoveredNode[] {
    return [...this.found.values()]
  }

  /** Static peers that have not answered (yet): listed by `distw peers` so a typo is visible. */
  silentPeers(): string[] {
    const answered = new Set(this.nodes().flatMap((n) => n.addresses.map((a) => `${a}:${n.port}`)))
    return this.statics.filter((s) => !answered.has(`${s.host}:${s.port}`)).map((s) => s.text)
  }

  /**
   * Resolves after `ms` (or when aborted) with the nodes known then; with `quietMs`, as soon as a node
   * is known and no other has answered for that long (a batch need not wait out the whole window once
   * the LAN has answered: nodes heard later still join it).
   */
  async settle(ms: number, signal?: AbortSignal, quietMs?: number): Promise<DiscoveredNode[]> {
    await new Promise<void>((resolve) => {
      let quiet: NodeJS.Timeout | undefined
      const done = (): void => {
        clearTimeout(timer)
        clearTimeout(quiet)
        this.off('add', heard)
        resolve()
      }
      const heard = (): void => {
        clearTimeout(quiet)
        if (quietMs !== undefined) quiet = setTimeout(done, quietMs)
      }
      const timer = setTimeout(done, ms)
      if (this.found.size > 0) heard()
      this.on('add', heard)
      signal?.addEventListener('abort', done, { once: true })
    })
    return this.nodes()
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    clearInterval(this.timer)
    this.browser?.stop()
    this.bonjour?.destroy()
    await new Promise<void>((resolve) => this.udp.close(() => resolve()))
  }

  // One round: drop nodes gone silent, browse mDNS afresh, probe by broadcast and each static peer.
  private sweep(): void {
    if (this.closed) return
    const now = Date.now()
    for (const node of this.nodes()) {
      if (now - node.lastSeen > this.options.staleMs) this.drop(node, `no answer for ${now - node.lastSeen} ms`)
    }
    if (this.bonjour) {
      // A fresh browser re-queries and reports every answering service as `up` again: that is the
      // refresh (bonjour-service's own browser never updates `lastSeen` of a service it knows).
      this.browser?.stop()
      this.browser = this.bonjour.find({ type: MDNS_SERVICE_TYPE })
      this.browser.on('up', (service) => this.onService(service))
      this.browser.on('down', (service) => this.onGoodbye(service))
    }
    const probe = encodeDatagram({ distw: 'probe', v: PROTOCOL_VERSION })
    const targets = [
      ...(this.options.broadcast ? broadcastAddresses().map((host) => ({ host, port: this.options.port })) : []),
      ...this.statics,
    ]
    for (const { host, port } of targets) {
      this.udp.send(probe, port, host, (error) => {
        if (error && !this.closed) this.emit('warning', `probe to ${host}:${port} failed: ${error.message}`)
      })
    }
  }

  private onDatagram(bytes: Buffer, from: string): void {
    const decoded = decodeDatagram(bytes)
    if (!decoded.ok) return void this.emit('warning', `dropped a datagram from ${from}: ${decoded.reason}`)
    if (decoded.datagram.distw !== 'here') return
    const isStatic = this.statics.some((s) => s.host === from && s.port === (decoded.datagram as DiscoveryAnswer).port)
    this.seen(decoded.datagram, from, isStatic ? 'static' : 'broadcast')
  }

  private onService(service: Service): void {
    const decoded = decodeTxt(service.txt)
    if (!decoded.ok) return void this.emit('warning', `ignored mDNS service "${service.name}": ${decoded.reason}`)
    // In a loopback-only network `addresses` is empty; the sender's address is what answered anyway.
    const address = service.referer?.address ?? service.addresses?.find((a) => !a.includes(':'))
    if (address === undefined) return
    this.seen(decoded.answer, address, 'mdns')
  }

  private onGoodbye(service: Service): void {
    const decoded = decodeTxt(service.txt)
    const node = decoded.ok ? this.found.get(decoded.answer.node.id) : undefined
    if (node) this.drop(node, 'said goodbye')
  }

  // Merges one sighting into the set: a new id is an add, a change of what it offers is an update.
  private seen(answer: DiscoveryAnswer, address: string, via: FoundVia): void {
    if (this.closed) return
    // Pools do not mix: a node of another pool could not be used anyway (its TLS key differs).
    if (answer.pool !== this.pool) return void this.strangers.add(answer.node.id)
    const known = this.found.get(answer.node.id)
    if (!known) {
      const node: DiscoveredNode = {
        info: answer.node,
        address,
        port: answer.port,
        url: nodeUrl(address, answer.port),
        free: answer.free,
        via: [via],
        addresses: [address],
        lastSeen: Date.now(),
      }
      this.found.set(answer.node.id, node)
      this.emit('add', node)
      return
    }
    known.lastSeen = Date.now()
    const before = JSON.stringify([known.via, known.addresses, known.free, known.info])
    if (!known.via.includes(via)) known.via.push(via)
    if (!known.addresses.includes(address)) known.addresses.push(address)
    // Only UDP answers carry a live free-slot count; a TXT record is a snapshot from publish time.
    if (via !== 'mdns') known.free = answer.free
    known.info = answer.node
    const changed = JSON.stringify([known.via, known.addresses, known.free, known.info]) !== before
    if (changed) this.emit('update', known)
  }

  private drop(node: DiscoveredNode, reason: string): void {
    if (this.found.delete(node.info.id)) this.emit('remove', node, reason)
  }
}

/** The discovery options of a side holding `secret` (or none): only nodes of its pool are used. */
export function poolDiscovery(options: DiscoveryOptions, secret: Buffer | undefined): DiscoveryOptions {
  return { ...options, pool: secret === undefined ? undefined : poolId(secret) }
}
