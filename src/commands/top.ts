import { BaseCommand } from '../base-command.js'
import { connectionFlags } from '../connection-flags.js'
import { UserError } from '../errors.js'
import { clientName } from '../submit/client-name.js'
import { staticPeers } from '../ui/top/node-source.js'
import { runTop } from '../ui/top/run-top.js'

export default class Top extends BaseCommand {
  static override summary = 'Watch the nodes and their running tasks live.'
  static override description =
    'A live terminal view of every node given with --peer: slots, load and state of each node, and every running task with its node, elapsed time and progress. Keys: q quit, tab switch pane, ↑↓ select, enter details (full command, output tail), c cancel the selected task when you submitted it.'
  static override examples = ['<%= config.bin %> top --peer 192.168.1.20:7420 --peer 192.168.1.21']

  static override flags = { ...connectionFlags }

  async run(): Promise<void> {
    const { flags } = await this.parse(Top)
    if (flags.peer.length === 0) throw new UserError('no node given', 'name the nodes to watch: distw top --peer HOST:PORT')
    await runTop(staticPeers(flags.peer), { client: clientName() })
  }
}
