import { Flags } from '@oclif/core'
import { BaseCommand } from '../base-command.js'
import { connectionFlags, connectionOptions } from '../flags/connection.js'
import { poolDiscovery } from '../discovery/discovery.js'
import { listPeers, watchPeers } from '../ui/peers.js'
import { loadSecret } from '../secret.js'

export default class Peers extends BaseCommand {
  static override summary = 'List the distw nodes on the network, and what each offers.'
  static override description =
    'Listens for nodes (mDNS, UDP broadcast, and the static peers of --peer / DISTW_PEERS) for --wait, then lists each once with its name, address, version, slots, os/arch, tags and how it was found. With --watch, keeps listening and prints one line per node that appears, changes or goes away.'
  static override enableJsonFlag = true
  static override examples = [
    '<%= config.bin %> peers',
    '<%= config.bin %> peers --wait 5s --json',
    '<%= config.bin %> peers --watch --no-mdns',
  ]

  static override flags = {
    ...connectionFlags,
    watch: Flags.boolean({ description: 'keep listening; print a line for each node added, updated or removed' }),
  }

  async run(): Promise<unknown> {
    const { flags } = await this.parse(Peers)
    const connection = connectionOptions(flags, 2000)
    const { waitMs } = connection
    const discovery = poolDiscovery(connection.discovery, await loadSecret({ file: flags['secret-file'] }))
    const write = (text: string) => void process.stdout.write(text)
    if (flags.watch) {
      const abort = new AbortController()
      const stop = () => abort.abort()
      process.once('SIGINT', stop)
      process.once('SIGTERM', stop)
      try {
        await watchPeers(discovery, { json: flags.json === true, write, signal: abort.signal })
      } finally {
        process.off('SIGINT', stop)
        process.off('SIGTERM', stop)
      }
      return undefined
    }
    const listing = await listPeers(discovery, waitMs)
    if (!flags.json) write(listing.text)
    return listing.json
  }
}
