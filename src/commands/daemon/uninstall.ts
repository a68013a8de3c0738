import { BaseCommand } from '../../base-command.js'
import { currentContext, uninstallService } from '../../daemon/service/manager.js'

export default class DaemonUninstall extends BaseCommand {
  static override summary = 'Stop starting the daemon at login, and stop it.'
  static override examples = ['<%= config.bin %> daemon uninstall']

  async run(): Promise<void> {
    await this.parse(DaemonUninstall)
    const report = await uninstallService(currentContext())
    for (const line of report.lines) this.log(line)
  }
}
