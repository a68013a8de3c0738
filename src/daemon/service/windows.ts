// The Windows Task Scheduler task (registered with `schtasks /Create /TN distw /XML FILE`): runs at the
// user's log on, restarted on failure, no time limit, not stopped on battery.
import path from 'node:path'
import { xmlEscape } from './launchd.js'
import type { ServiceSpec } from './spec.js'

// Where the task definition is kept (%APPDATA%\distw), so `uninstall` and `status` find it.
export function scheduledTaskPath(home: string, env: NodeJS.ProcessEnv = {}): string {
  const appData = env.APPDATA ?? path.join(home, 'AppData', 'Roaming')
  return path.join(appData, 'distw', 'distw-task.xml')
}

// Quotes one argument the way CommandLineToArgvW splits them.
export function windowsQuote(arg: string): string {
  if (arg !== '' && !/[\s"]/.test(arg)) return arg
  return `"${arg.replace(/(\\*)"/g, '$1$1\\"').replace(/(\\+)$/, '$1$1')}"`
}

// The task XML's text (schtasks wants it as UTF-16; install writes it so).
export function scheduledTaskXml(spec: ServiceSpec, user?: string): string {
  const userId = user ? `\n      <UserId>${xmlEscape(user)}</UserId>` : ''
  return `<?xml version="1.0" encoding="UTF-16"?>
<Task version="1.2" xmlns="http://schemas.microsoft.com/windows/2004/02/mit/task">
  <RegistrationInfo>
    <Description>distw node: offers this machine's idle slots to the LAN</Description>
  </RegistrationInfo>
  <Triggers>
    <LogonTrigger>
      <Enabled>true</Enabled>${userId}
    </LogonTrigger>
  </Triggers>
  <Principals>
    <Principal id="Author">
      <LogonType>InteractiveToken</LogonType>
      <RunLevel>LeastPrivilege</RunLevel>
    </Principal>
  </Principals>
  <Settings>
    <MultipleInstancesPolicy>IgnoreNew</MultipleInstancesPolicy>
    <DisallowStartIfOnBatteries>false</DisallowStartIfOnBatteries>
    <StopIfGoingOnBatteries>false</StopIfGoingOnBatteries>
    <ExecutionTimeLimit>PT0S</ExecutionTimeLimit>
    <RestartOnFailure>
      <Interval>PT1M</Interval>
      <Count>999</Count>
    </RestartOnFailure>
    <Hidden>true</Hidden>
  </Settings>
  <Actions Context="Author">
    <Exec>
      <Command>${xmlEscape(spec.program)}</Command>
      <Arguments>${xmlEscape(spec.args.map(windowsQuote).join(' '))}</Arguments>
    </Exec>
  </Actions>
</Task>
`
}
