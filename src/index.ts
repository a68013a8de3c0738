// The command table for oclif's explicit strategy (what makes the CLI bundleable into one file).
import Daemon from './commands/daemon.js'
import Submit from './commands/submit.js'
import ConfigShow from './commands/config/show.js'
import DaemonInstall from './commands/daemon/install.js'
import DaemonStatus from './commands/daemon/status.js'
import DaemonUninstall from './commands/daemon/uninstall.js'

export const COMMANDS = {
  daemon: Daemon,
  submit: Submit,
  'daemon:install': DaemonInstall,
  'daemon:uninstall': DaemonUninstall,
  'daemon:status': DaemonStatus,
  'config:show': ConfigShow,
}
