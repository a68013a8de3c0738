// The node's side of discovery: publishes `_distw._tcp` over mDNS (with capabilities in the TXT record)
// and answers UDP probes on its own port number. A failure to announce is logged, never fatal: the
// node still works for submitters that name it with --peer.
import dgram from 'node:dgram'
import {
  decodeDatagram,
  encodeDatagram,
  encodeTxt,
  isLoopback,
  MDNS_SERVICE_TYPE,
  PROTOCOL_VERSION,
  type NodeInfo,
} from '../protocol/index.js'
import type { Bonjour } from 'bonjour-service'
import { newBonjour } from './interfaces.js'

export interface AnnounceOptions {
  info: NodeInfo
  /** The address the node's TCP server listens on: a loopback node answers only loopback probers. */
  host: string
  port: number
  mdns: boolean
  broadcast: boolean
  freeSlots: () => number
  /** The node's pool id (never the secret), in the TXT record and probe answers; undefined: no pool. */
  pool?: string | undefined
  log: (event: string, fields?: Record<string, unknown>) => void
}

export interface Announcer {
  close(): Promise<void>
}

const GOODBYE_TIMEOUT_MS = 1000

export async function startAnnouncer(options: AnnounceOptions): Promise<Announcer> {
  const loopbackOnly = isLoopback(options.host)
  const udp = options.broadcast ? await answerProbes(options, loopbackOnly) : undefined
  const bonjour = options.mdns && !loopbackOnly ? publishMdns(options) : undefined
  if (options.mdns && loopbackOnly) options.log('mdns off', { reason: 'node listens on loopback only' })
  return {
    async close() {
      udp?.close()
      if (bonjour) {
        // unpublishAll sends goodbye packets, so browsers drop the node at once.
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, GOODBYE_TIMEOUT_MS)
          bonjour.unpublishAll(() => {
            clearTimeout(timer)
            resolve()
          })
        })
        bonjour.destroy()
      }
    },
  }
}

// Binds UDP on the node's port number and answers each valid probe; anything else is dropped with a log line.
async function answerProbes(options: AnnounceOptions, loopbackOnly: boolean): Promise<dgram.Socket | undefined> {
  const socket = dgram.createSocket({ type: 'udp4' })
  socket.on('message', (bytes, from) => {
    if (loopbackOnly && !isLoopback(from.address)) return
    const decoded = decodeDatagram(bytes)
    if (!decoded.ok) return options.log('dropped datagram', { from: from.address, reason: decoded.reason })
    if (decoded.datagram.distw !== 'probe') return
    const answer = encodeDatagram({
      distw: 'here',
      v: PROTOCOL_VERSION,
      node: options.info,
      port: options.port,
      free: options.freeSlots(),
      ...(options.pool === undefined ? {} : { pool: options.pool }),
    })
    socket.send(answer, from.port, from.address, (error) => {
      if (error) options.log('probe answer failed', { to: from.address, error: error.message })
    })
  })
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject)
      socket.bind(options.port, '0.0.0.0', () => {
        socket.off('error', reject)
        resolve()
      })
    })
  } catch (error) {
    options.log('broadcast off', { reason: `cannot bind UDP port ${options.port}: ${(error as Error).message}` })
    socket.close()
    return undefined
  }
  socket.on('error', (error) => options.log('udp error', { error: error.message }))
  return socket
}

// Publishes the service; the instance and host names carry the node id so that nodes sharing a host
// name (or a namespace's UTS name) never collide, and mDNS name probing (750 ms) can be skipped.
function publishMdns(options: AnnounceOptions): Bonjour {
  const bonjour = newBonjour((error: Error) => options.log('mdns error', { error: error.message }))
  const short = options.info.id.slice(0, 8)
  const service = bonjour.publish({
    name: `${options.info.name.slice(0, 40)} [${short}]`,
    type: MDNS_SERVICE_TYPE,
    port: options.port,
    host: `distw-${short}.local`,
    txt: encodeTxt(options.info, options.port, options.freeSlots(), options.pool),
    probe: false,
    disableIPv6: true,
  })
  service.on('error', (error: Error) => options.log('mdns error', { error: error.message }))
  return bonjour
}
