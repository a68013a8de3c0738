// The command table for oclif's explicit strategy (what makes the CLI bundleable into one file).
import Daemon from './commands/daemon.js'
import Peers from './commands/peers.js'
import Submit from './commands/submit.js'

export const COMMANDS = {
  daemon: Daemon,
  peers: Peers,
  submit: Submit,
}
