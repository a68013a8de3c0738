import { BaseCommand } from '../../base-command.js'
import { leavePool } from '../../pool/pool.js'
import { printPoolReport } from '../../pool/print.js'

export default class PoolLeave extends BaseCommand {
  static override summary = "Remove this machine's pool secret; its commands then use no secret (loopback only)."
  static override examples = ['<%= config.bin %> pool leave']

  async run(): Promise<void> {
    await this.parse(PoolLeave)
    printPoolReport(await leavePool())
  }
}
