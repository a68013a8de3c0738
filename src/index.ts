// The command table for oclif's explicit strategy (what makes the CLI bundleable into one file).
import Daemon from './commands/daemon.js'
import SecretNew from './commands/secret/new.js'
import Submit from './commands/submit.js'

export const COMMANDS = {
  daemon: Daemon,
  'secret:new': SecretNew,
  submit: Submit,
}
