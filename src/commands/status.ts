import { BaseCommand } from '../base-command.js'
import { connectionFlags } from '../connection-flags.js'
import { EXIT, UserError } from '../errors.js'
import { clientName } from '../submit/client-name.js'
import { statusText } from '../ui/status-text.js'
import { snapshotNodes, type NodeSnapshot } from '../watch/snapshot.js'

export default class Status extends BaseCommand {
  static override summary = 'Show what each node is doing right now: slots, load, running tasks.'
  static override description =
    'Connects to every node given with --peer as a monitor, prints one snapshot of each (slots in use, load, running tasks with their submitter, elapsed time and progress) and exits. An unreachable node is listed as such and makes the exit code 3.'
  static override examples = [
    '<%= config.bin %> status --peer 192.168.1.20:7420 --peer 192.168.1.21',
    '<%= config.bin %> status --peer 192.168.1.20 --json',
  ]
  static override enableJsonFlag = true

  static override flags = { ...connectionFlags }

  async run(): Promise<NodeSnapshot[]> {
    const { flags } = await this.parse(Status)
    if (flags.peer.length === 0) throw new UserError('no node given', 'name the nodes to look at: distw status --peer HOST:PORT')
    const nodes = await snapshotNodes(flags.peer, { client: clientName() })
    if (!this.jsonEnabled()) process.stdout.write(statusText(nodes))
    if (nodes.some((n) => !n.reachable)) process.exitCode = EXIT.EXTERNAL
    return nodes
  }
}
