import { BaseCommand } from '../../base-command.js'
import { currentContext, serviceStatus, type ServiceStatus } from '../../daemon/service/manager.js'

export default class DaemonStatus extends BaseCommand {
  static override summary = 'Say whether the login service is installed and running.'
  static override examples = ['<%= config.bin %> daemon status', '<%= config.bin %> daemon status --json']
  static override enableJsonFlag = true

  async run(): Promise<ServiceStatus> {
    await this.parse(DaemonStatus)
    const status = await serviceStatus(currentContext())
    const running = status.running === undefined ? 'unknown' : status.running ? 'running' : 'not running'
    this.log(`${status.installed ? 'installed' : 'not installed'} (${status.file}), ${running}`)
    if (status.running === undefined) this.log(status.detail)
    return status
  }
}
