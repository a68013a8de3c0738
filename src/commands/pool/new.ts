import { BaseCommand } from '../../base-command.js'
import { newPool } from '../../pool/pool.js'
import { printPoolReport } from '../../pool/print.js'

export default class PoolNew extends BaseCommand {
  static override summary = 'Make a new pool: a secret on this machine, and the join code for the others.'
  static override description =
    "Writes a fresh 128-bit secret to this user's distw config folder (Linux: ~/.config/distw/secret, or $XDG_CONFIG_HOME; macOS: ~/Library/Application Support/distw; Windows: %APPDATA%\\distw), mode 600, and prints its join code. Every distw command then uses it without a flag: daemons serve the LAN, encrypted, and submitters find them."
  static override examples = ['<%= config.bin %> pool new']

  async run(): Promise<void> {
    await this.parse(PoolNew)
    printPoolReport(await newPool())
  }
}
