// The command table for oclif's explicit strategy (what makes the CLI bundleable into one file).
import Daemon from './commands/daemon.js'
import SecretNew from './commands/secret/new.js'
import Status from './commands/status.js'
import Peers from './commands/peers.js'
import Run from './commands/run.js'
import Submit from './commands/submit.js'
import Top from './commands/top.js'
import ConfigShow from './commands/config/show.js'
import DaemonInstall from './commands/daemon/install.js'
import DaemonStatus from './commands/daemon/status.js'
import DaemonUninstall from './commands/daemon/uninstall.js'
import PoolNew from './commands/pool/new.js'
import PoolJoin from './commands/pool/join.js'
import PoolShow from './commands/pool/show.js'
import PoolLeave from './commands/pool/leave.js'
import Approve from './commands/approve.js'
import Deny from './commands/deny.js'

export const COMMANDS = {
  daemon: Daemon,
  'secret:new': SecretNew,
  peers: Peers,
  run: Run,
  submit: Submit,
  status: Status,
  top: Top,
  'daemon:install': DaemonInstall,
  'daemon:uninstall': DaemonUninstall,
  'daemon:status': DaemonStatus,
  'config:show': ConfigShow,
  'pool:new': PoolNew,
  'pool:join': PoolJoin,
  'pool:show': PoolShow,
  'pool:leave': PoolLeave,
  approve: Approve,
  deny: Deny,
}
