import { Args } from '@oclif/core'
import { BaseCommand } from '../../base-command.js'
import { joinPool } from '../../pool/pool.js'
import { printPoolReport } from '../../pool/print.js'

export default class PoolJoin extends BaseCommand {
  static override summary = 'Join the pool whose join code is given (from `distw pool new` or `distw pool show`).'
  static override description =
    "Stores the pool's secret in this user's distw config folder (mode 600). A mistyped character is caught by the code's check characters and its group named. Lower case, and O, I, L for 0, 1, 1, are fine."
  static override examples = ['<%= config.bin %> pool join distw-7KQ2M-9XF3A-…']

  static override args = {
    code: Args.string({ description: 'the join code, distw-XXXXX-…', required: true, ignoreStdin: true }),
  }

  async run(): Promise<void> {
    const { args } = await this.parse(PoolJoin)
    printPoolReport(await joinPool(args.code))
  }
}
