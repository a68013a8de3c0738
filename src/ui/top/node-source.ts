// Where `distw top` learns which nodes exist. Today: the --peer list. Discovery (src/discovery) emits
// the same add/remove events, so wiring it in is one adapter beside staticPeers.
import { EventEmitter } from 'node:events'
import { peerUrl } from '../../submit/peer-address.js'

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
