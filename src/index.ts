// The command table for oclif's explicit strategy (what makes the CLI bundleable into one file).
import Daemon from './commands/daemon.js'
import SecretNew from './commands/secret/new.js'
import Status from './commands/status.js'
import Peers from './commands/peers.js'
import Submit from './commands/submit.js'
import Top from './commands/top.js'

export const COMMANDS = {
  daemon: Daemon,
  'secret:new': SecretNew,
  peers: Peers,
  submit: Submit,
  status: Status,
  top: Top,
}
