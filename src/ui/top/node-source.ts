// Where `distw top` learns which nodes exist: the --peer list (or DISTW_PEERS), else discovery on the LAN.
import { EventEmitter } from 'node:events'
import { Discovery, type DiscoveredNode, type DiscoveryOptions } from '../../discovery/discovery.js'
import { peerUrl } from '../../discovery/peer-address.js'

export interface NodeAddress {
  /** Stable identity of the node in this source (the address for static peers, the node id for discovery). */
  key: string
  /** `host:port`, as shown. */
  address: string
  url: string
}

export interface NodeSourceEvents {
  add: [node: NodeAddress]
  remove: [key: string]
}

export interface NodeSource extends EventEmitter<NodeSourceEvents> {
  /** Starts emitting; nodes already known are emitted as `add` right away. */
  start(): void
  stop(): void
}

/** The nodes named on the command line: each is added once, none is ever removed. */
export function staticPeers(peers: string[]): NodeSource {
  const source = new EventEmitter<NodeSourceEvents>() as NodeSource
  source.start = () => {
    for (const address of new Set(peers)) source.emit('add', { key: address, address, url: peerUrl(address) })
  }
  source.stop = () => {}
  return source
}

/**
 * The nodes discovery finds (mDNS, UDP broadcast), keyed by node id: a node is added when it first
 * answers and removed when it has been silent for discovery's stale time. `onWarning` hears why a
 * probe failed (shown, not fatal).
 */
export function discoveredNodes(options: DiscoveryOptions, onWarning: (message: string) => void = () => {}): NodeSource {
  const source = new EventEmitter<NodeSourceEvents>() as NodeSource
  let running: Promise<Discovery | undefined> | undefined
  let stopped = false
  const add = (node: DiscoveredNode): void =>
    void source.emit('add', { key: node.info.id, address: `${node.address}:${node.port}`, url: node.url })
  source.start = () => {
    running = Discovery.start(options).then(
      (discovery) => {
        if (stopped) return void discovery.close()
        discovery.on('add', add)
        discovery.on('remove', (node) => source.emit('remove', node.info.id))
        discovery.on('warning', onWarning)
        discovery.nodes().forEach(add)
        return discovery
      },
      (error: Error) => {
        onWarning(`discovery could not start: ${error.message}`)
        return undefined
      },
    )
  }
  source.stop = () => {
    stopped = true
    void running?.then((discovery) => discovery?.close())
  }
  return source
}
