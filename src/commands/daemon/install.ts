import { Flags, Parser } from '@oclif/core'
import { BaseCommand } from '../../base-command.js'
import { installService, currentContext } from '../../daemon/service/manager.js'
import { daemonServiceSpec } from '../../daemon/service/spec.js'
import { serviceFlags } from '../../daemon/service/pool-flags.js'
import { UserError } from '../../errors.js'
import { daemonFlags } from '../../flags/daemon.js'
import { policyFromFlags } from '../../flags/policy-options.js'
import { flagError } from '../../flags/values.js'

export default class DaemonInstall extends BaseCommand {
  static override summary = 'Start the daemon at login for this user, with the flags given.'
  static override description =
    'Carries the pool: the service is given this machine\'s pool secret file (`distw pool join CODE` first). Refuses to install as root unless --allow-root. Writes a systemd user unit (Linux: ~/.config/systemd/user/distw.service), a LaunchAgent (macOS) or a Task Scheduler task (Windows) that runs `distw daemon` with the daemon flags given here, then enables and starts it. On Linux, `loginctl enable-linger "$USER"` makes it start at boot without a login.'
  static override examples = [
    '<%= config.bin %> daemon install',
    '<%= config.bin %> daemon install --slots 4 --tag gpu',
    '<%= config.bin %> daemon install --no-start --port 7421',
  ]

  // Every daemon flag is accepted (and checked) here; the service gets them exactly as typed.
  static override flags = {
    ...daemonFlags,
    'no-start': Flags.boolean({ description: 'write the service file only; do not enable or start it' }),
  }

  async run(): Promise<void> {
    const { flags } = await this.parse(DaemonInstall)
    const typed = this.argv.filter((arg) => arg !== '--no-start')
    await checkDaemonFlags(typed)
    const { flags: daemonFlags, notes } = await serviceFlags(typed, { uid: process.getuid?.() })
    const report = await installService(currentContext(), daemonServiceSpec(daemonFlags), !flags['no-start'])
    for (const line of [...report.lines, ...notes]) this.log(line)
  }
}

// Refuses flags that `distw daemon` would refuse, now rather than at the next login: the same flag
// definitions read them (each value's form and bounds), then the same check of how they go together.
async function checkDaemonFlags(argv: string[]): Promise<void> {
  try {
    const { flags } = await Parser.parse(argv, { flags: daemonFlags, strict: true })
    policyFromFlags(flags)
  } catch (error) {
    throw new UserError(
      `these are not valid daemon flags: ${argv.join(' ')}`,
      `${flagError(error as Error).message.split('\n')[0]} (see distw daemon --help)`,
    )
  }
}
