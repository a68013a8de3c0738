// `distw deny HASH`: the node owner's "no" to a program held by `distw daemon --approve` on this machine.
import { decideArgs, decideFlags } from '../flags/decide.js'
import Approve from './approve.js'

export default class Deny extends Approve {
  static override allow = false
  static override summary = "Deny a program held by this machine's node (daemon --approve): its held tasks fail with the reason."
  // oclif reads these off the class itself, not its parent.
  static override args = decideArgs
  static override flags = decideFlags
  static override examples = ['<%= config.bin %> deny 3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855e']
}
