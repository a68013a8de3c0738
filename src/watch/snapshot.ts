// One look at each node (`distw status`): connect as a monitor, take the first state, hang up.
import { ExternalError } from '../errors.js'
import { peerUrl } from '../discovery/peer-address.js'
import { WatchClient, type NodeStateMessage } from '../client/watch-client.js'

export type NodeSnapshot =
  { peer: string; reachable: true; state: Omit<NodeStateMessage, 'v' | 'type'> } | { peer: string; reachable: false; error: string }

/** How long one node may take to answer before it counts as unreachable. */
export const SNAPSHOT_TIMEOUT_MS = 5000

export async function snapshotNodes(
  peers: string[],
  options: { secret?: Buffer | undefined; insecure?: boolean | undefined; client: string; timeoutMs?: number },
): Promise<NodeSnapshot[]> {
  return Promise.all(peers.map((peer) => snapshotNode(peer, options)))
}

async function snapshotNode(
  peer: string,
  options: { secret?: Buffer | undefined; insecure?: boolean | undefined; client: string; timeoutMs?: number },
): Promise<NodeSnapshot> {
  let client: WatchClient | undefined
  let timer: NodeJS.Timeout | undefined
  try {
    const url = peerUrl(peer)
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(
        () => reject(new ExternalError(`no answer within ${options.timeoutMs ?? SNAPSHOT_TIMEOUT_MS} ms`)),
        options.timeoutMs ?? SNAPSHOT_TIMEOUT_MS,
      )
    })
    const state = await Promise.race([
      timeout,
      WatchClient.connect(url, options).then((c) => {
        client = c
        return new Promise<NodeStateMessage>((resolve, reject) => {
          c.once('state', resolve)
          c.once('lost', (reason) => reject(new ExternalError(reason)))
        })
      }),
    ])
    const { v: _v, type: _type, ...rest } = state
    return { peer, reachable: true, state: rest }
  } catch (error) {
    return { peer, reachable: false, error: (error as Error).message }
  } finally {
    clearTimeout(timer)
    client?.close()
  }
}
