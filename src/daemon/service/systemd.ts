// The systemd user unit (~/.config/systemd/user/distw.service), modelled on syncthing's: restart on
// failure, started with the user's default target (at login, or at boot with `loginctl enable-linger`).
import path from 'node:path'
import { MALLOC_TUNABLES } from './malloc-tunables.js'
import { SERVICE_NAME, type ServiceSpec } from './spec.js'

// Where the unit lives for the user whose home is `home` (XDG_CONFIG_HOME when set).
export function systemdUnitPath(home: string, env: NodeJS.ProcessEnv = {}): string {
  const config = env.XDG_CONFIG_HOME && path.isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : path.join(home, '.config')
  return path.join(config, 'systemd', 'user', `${SERVICE_NAME}.service`)
}

// Quotes one ExecStart word: systemd splits on spaces, expands % specifiers and $VARIABLES.
export function systemdQuote(word: string): string {
  const escaped = word.replace(/%/g, '%%').replace(/\$/g, '$$$$')
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(escaped)) return escaped
  return `"${escaped.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`
}

// The unit file's text.
export function systemdUnit(spec: ServiceSpec): string {
  const execStart = [spec.program, ...spec.args].map(systemdQuote).join(' ')
  return `[Unit]
Description=distw node: offers this machine's idle slots to the LAN

[Service]
Type=simple
ExecStart=${execStart}
# Received chunks in reused heap memory, not freshly faulted pages (see malloc-tunables.ts).
Environment=GLIBC_TUNABLES=${MALLOC_TUNABLES}
Restart=on-failure
RestartSec=5
# SIGTERM lets the daemon stop its tasks and close its connections.
KillSignal=SIGTERM
TimeoutStopSec=30
# The daemon may make a cgroup of its own for each task, to kill a task's whole process tree
# (setsid children too) and to cap its memory and CPU (--task-memory, --task-cpus).
Delegate=yes

[Install]
WantedBy=default.target
`
}
