import { BaseCommand } from '../base-command.js'
import { connectionFlags, connectionOptions } from '../flags/connection.js'
import { poolDiscovery } from '../discovery/discovery.js'
import { loadSecret } from '../secret.js'
import { clientName } from '../submit/client-name.js'
import { discoveredNodes, staticPeers } from '../ui/top/node-source.js'

export default class Top extends BaseCommand {
  static override summary = 'Watch the nodes and their running tasks live.'
  static override description =
    'A live terminal view of every node given with --peer (or DISTW_PEERS), else of every node found on the LAN (mDNS, UDP broadcast; nodes come and go as they are found and lost): slots, load and state of each node, and every running task with its node, elapsed time and progress. Keys: q quit, tab switch pane, ↑↓ select, enter details (full command, output tail), c cancel the selected task when you submitted it (y confirms). The selection follows its task when rows re-sort.'
  static override examples = [
    '<%= config.bin %> top',
    '<%= config.bin %> top --peer 192.168.1.20:7420 --peer 192.168.1.21',
    '<%= config.bin %> top --secret-file ~/distw.secret',
  ]

  static override flags = { ...connectionFlags }

  async run(): Promise<void> {
    const { flags } = await this.parse(Top)
    const { peers, discovery } = connectionOptions(flags, 0)
    const secret = await loadSecret({ file: flags['secret-file'] })
    // Loaded here, not at the top: ink (with yoga's wasm) is ~50 MB of resident memory that every other
    // command, the always-on daemon above all, would carry (and each task's fork would copy) for nothing.
    const { runTop } = await import('../ui/top/run-top.js')
    await runTop(peers.length > 0 ? staticPeers(peers) : discoveredNodes(poolDiscovery(discovery, secret)), {
      client: clientName(),
      secret,
      insecure: flags.insecure,
    })
  }
}
