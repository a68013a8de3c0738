// `distw approve HASH` (and, by extension, `distw deny HASH`): the node owner's answer to a program
// held by `distw daemon --approve` on this machine.
import { BaseCommand } from '../base-command.js'
import { decideArgs, decideFlags, decideOptions } from '../flags/decide.js'
import { decideProgram } from '../watch/decide.js'

export default class Approve extends BaseCommand {
  /** What the command answers: deny.ts says false. */
  static allow = true
  static override summary = "Approve a program held by this machine's node (daemon --approve): its held tasks start, and it stays approved."
  static override description =
    'Talks to the node on this machine (--peer, else DISTW_PEERS, else 127.0.0.1:7420) with the owner token that its daemon keeps beside the pool secret, readable by its user only: run it as that user, on that machine.'
  static override examples = ['<%= config.bin %> approve 3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855e']
  static override args = decideArgs
  static override flags = decideFlags

  async run(): Promise<void> {
    const command = this.constructor as typeof Approve
    const { args, flags } = await this.parse(command)
    process.stdout.write(await decideProgram(await decideOptions(args, flags, command.allow)))
  }
}
