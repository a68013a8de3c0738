// The macOS LaunchAgent (~/Library/LaunchAgents/org.distw.daemon.plist): started at login, restarted
// when it exits, output to a log file (launchd has no journal).
import path from 'node:path'
import { LAUNCHD_LABEL, type ServiceSpec } from './spec.js'

// Where the plist lives for the user whose home is `home`.
export function launchAgentPath(home: string): string {
  return path.join(home, 'Library', 'LaunchAgents', `${LAUNCHD_LABEL}.plist`)
}

// Escapes text for an XML element or attribute.
export function xmlEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;')
}

// The plist's text.
export function launchAgentPlist(spec: ServiceSpec): string {
  const args = [spec.program, ...spec.args].map((a) => `    <string>${xmlEscape(a)}</string>`).join('\n')
  const log = spec.logFile
    ? `  <key>StandardOutPath</key>\n  <string>${xmlEscape(spec.logFile)}</string>\n  <key>StandardErrorPath</key>\n  <string>${xmlEscape(spec.logFile)}</string>\n`
    : ''
  return `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
  <key>Label</key>
  <string>${LAUNCHD_LABEL}</string>
  <key>ProgramArguments</key>
  <array>
${args}
  </array>
  <key>RunAtLoad</key>
  <true/>
  <key>KeepAlive</key>
  <dict>
    <key>SuccessfulExit</key>
    <false/>
  </dict>
  <key>ProcessType</key>
  <string>Background</string>
${log}</dict>
</plist>
`
}
