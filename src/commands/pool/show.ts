import { BaseCommand } from '../../base-command.js'
import { showPool } from '../../pool/pool.js'
import { printPoolReport } from '../../pool/print.js'

export default class PoolShow extends BaseCommand {
  static override summary = "Print this machine's join code again, to add another machine."
  static override examples = ['<%= config.bin %> pool show']

  async run(): Promise<void> {
    await this.parse(PoolShow)
    printPoolReport(await showPool())
  }
}
