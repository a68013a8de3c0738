// `distw daemon`: parse the flags (src/flags/daemon.ts), fill in DISTW_* and the config file, start a node.
import { BaseCommand } from '../base-command.js'
import { applyConfig, flagsFromDefault } from '../config/load.js'
import { daemonBanner } from '../daemon/server/banner.js'
import { startDaemon } from '../daemon/daemon.js'
import { paceFullCollections } from '../daemon/heap-policy.js'
import { openDaemonLog } from '../daemon/log.js'
import { daemonFlags } from '../flags/daemon.js'
import { daemonOptions } from '../flags/daemon-options.js'

export default class Daemon extends BaseCommand {
  static override summary = "Offer this machine's idle slots to submitters on the network."
  static override description =
    'Runs a node: accepts tasks over WebSocket, runs each in a fresh working folder, and sends back every file it created or changed. With the pool secret (`distw pool new` / `distw pool join CODE`, or --secret-file / DISTW_SECRET) it listens on every address and announces itself on the LAN; without one, on loopback only. See docs/SECURITY.md.'
  static override examples = [
    '<%= config.bin %> daemon',
    '<%= config.bin %> daemon --slots 4 --port 7420',
    '<%= config.bin %> daemon --work-dir /var/tmp/distw',
    '<%= config.bin %> daemon --cache-dir ~/.cache/distw --cache-size 20G --max-output 100M',
    '<%= config.bin %> daemon --secret-file ~/distw.secret --allow 192.168.1.0/24',
    '<%= config.bin %> daemon --work-dir /var/tmp/distw --max-timeout 2h --max-task-disk 20G',
    '<%= config.bin %> daemon --bind 0.0.0.0 --name render-box --tag gpu --tag ffmpeg',
  ]

  static override flags = daemonFlags

  async run(): Promise<void> {
    const parsed = await this.parse(Daemon)
    const flags = await applyConfig(parsed.flags, {
      fromDefault: flagsFromDefault(parsed.metadata),
      env: process.env,
      configPath: parsed.flags.config,
    })
    const { secretOrigin, ...options } = await daemonOptions(flags)
    const { log, close: closeLog } = await openDaemonLog({ file: flags['log-file'], json: flags['log-json'], verbose: flags.verbose })
    // Listened for before the node starts: a Ctrl-C (or a supervisor's SIGTERM) that comes as the banner
    // appears must stop the node cleanly, not kill it with its log unwritten and its tasks' folders left.
    const stopAsked = new Promise<void>((resolve) => {
      process.once('SIGINT', resolve)
      process.once('SIGTERM', resolve)
    })
    paceFullCollections()
    const daemon = await startDaemon({ ...options, log })
    process.stdout.write(daemonBanner(daemon, { secret: options.secret, secretOrigin, mdns: flags.mdns, broadcast: flags.broadcast }))
    await stopAsked
    log('stopping')
    await daemon.close()
    await closeLog()
  }
}
