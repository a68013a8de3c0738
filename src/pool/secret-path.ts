// Where the pool secret lives when no flag or variable names one: the platform's per-user config place.
import os from 'node:os'
import path from 'node:path'

/** Linux and others: $XDG_CONFIG_HOME/distw/secret or ~/.config/distw/secret; %APPDATA%\distw\secret; ~/Library/Application Support/distw/secret. */
export function defaultSecretPath(env: NodeJS.ProcessEnv = process.env, platform = process.platform, home = os.homedir()): string {
  if (platform === 'win32') return path.win32.join(env.APPDATA ?? path.win32.join(home, 'AppData', 'Roaming'), 'distw', 'secret')
  if (platform === 'darwin') return path.join(home, 'Library', 'Application Support', 'distw', 'secret')
  const base = env.XDG_CONFIG_HOME && path.isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : path.join(home, '.config')
  return path.join(base, 'distw', 'secret')
}
