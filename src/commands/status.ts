import { BaseCommand } from '../base-command.js'
import { connectionFlags, connectionOptions } from '../flags/connection.js'
import { poolDiscovery } from '../discovery/discovery.js'
import { findPeers } from '../discovery/find-peers.js'
import { EXIT, ExternalError } from '../errors.js'
import { loadSecret } from '../secret.js'
import { clientName } from '../submit/client-name.js'
import { NO_NODE_HINT, noNodeFound } from '../ui/peers.js'
import { statusText } from '../ui/status-text.js'
import { snapshotNodes, type NodeSnapshot } from '../watch/snapshot.js'
import { batchesOf, type WaitingBatch } from '../watch/batches.js'

export default class Status extends BaseCommand {
  static override summary = 'Show what each node is doing right now: slots, load, running tasks.'
  static override description =
    'Connects as a monitor to every node given with --peer (or DISTW_PEERS), else to every node found on the LAN within --wait (default 1s), prints one snapshot of each (slots in use, load, running tasks with their submitter, elapsed time and progress), then the tasks submitters hold back (waiting for their dependencies), and exits. An unreachable node is listed as such and makes the exit code 3. --json: {nodes, batches}.'
  static override examples = [
    '<%= config.bin %> status',
    '<%= config.bin %> status --peer 192.168.1.20:7420 --peer 192.168.1.21',
    '<%= config.bin %> status --peer 192.168.1.20 --json',
  ]
  static override enableJsonFlag = true

  static override flags = { ...connectionFlags }

  async run(): Promise<{ nodes: NodeSnapshot[]; batches: WaitingBatch[] }> {
    const { flags } = await this.parse(Status)
    const connection = connectionOptions(flags, 1000)
    const secret = await loadSecret({ file: flags['secret-file'] })
    const discovery = poolDiscovery(connection.discovery, secret)
    const peers = connection.peers.length > 0 ? connection.peers : await findPeers(discovery, connection.waitMs)
    if (peers.length === 0) throw new ExternalError(noNodeFound(discovery.pool, connection.waitMs), NO_NODE_HINT)
    const nodes = await snapshotNodes(peers, { client: clientName(), secret, insecure: flags.insecure })
    const batches = batchesOf(nodes)
    if (!this.jsonEnabled()) process.stdout.write(statusText(nodes, batches))
    if (nodes.some((n) => !n.reachable)) process.exitCode = EXIT.EXTERNAL
    return { nodes, batches }
  }
}
