// The nodes that answer within a listening window, as `host:port` (for `distw status`).
import { Discovery, type DiscoveryOptions } from './discovery.js'

/** Listens for `waitMs` and returns the `host:port` of every node that answered (for `distw status`). */
export async function findPeers(options: DiscoveryOptions, waitMs: number): Promise<string[]> {
  const discovery = await Discovery.start(options)
  try {
    return (await discovery.settle(waitMs)).map((node) => `${node.address}:${node.port}`)
  } finally {
    await discovery.close()
  }
}
