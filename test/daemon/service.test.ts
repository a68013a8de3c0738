// Login-service files: their content on every platform (pure functions), `systemd-analyze verify` on the
// unit when it is installed, and install/uninstall/status against a temp home with a recording runner.
import { execa } from 'execa'
import fs from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { launchAgentPlist } from '../../src/daemon/service/launchd.js'
import { installService, serviceStatus, uninstallService, type ServiceContext } from '../../src/daemon/service/manager.js'
import { daemonServiceSpec, type ServiceSpec } from '../../src/daemon/service/spec.js'
import { MALLOC_TUNABLES } from '../../src/daemon/service/malloc-tunables.js'
import { systemdQuote, systemdUnit } from '../../src/daemon/service/systemd.js'
import { scheduledTaskXml, windowsQuote } from '../../src/daemon/service/windows.js'
import { serviceFlags } from '../../src/daemon/service/pool-flags.js'
import { distw, tempDir } from '../helpers/cli.js'

const spec: ServiceSpec = daemonServiceSpec(
  ['--slots', '4', '--name', 'lab box & "co"', '--work-dir', '/var/tmp/100%$HOME'],
  ['/opt/distw/distw'],
)

// A context on `platform` whose outside tools answer from `answers` and are recorded in `calls`.
async function fakeContext(platform: NodeJS.Platform, answers: Record<string, { ok: boolean; output: string }> = {}) {
  const home = await tempDir('distw-home-')
  const calls: string[] = []
  const ctx: ServiceContext = {
    platform,
    home,
    env: { USER: 'ada', USERNAME: 'ada' },
    run: async (command, args) => {
      const line = `${command} ${args.join(' ')}`
      calls.push(line)
      return answers[line] ?? { ok: true, output: '' }
    },
  }
  return { ctx, calls, home }
}

describe('service files', () => {
  it('systemd unit: absolute ExecStart with quoted flags, Restart=on-failure, WantedBy=default.target', () => {
    const unit = systemdUnit(spec)
    expect(unit).toContain('ExecStart=/opt/distw/distw daemon --slots 4 --name "lab box & \\"co\\"" --work-dir "/var/tmp/100%%$$HOME"\n')
    expect(unit).toMatch(/^Restart=on-failure$/m)
    expect(unit).toMatch(/^Delegate=yes$/m)
    expect(unit).toContain(`\nEnvironment=GLIBC_TUNABLES=${MALLOC_TUNABLES}\n`)
    expect(unit).toMatch(/^\[Install\]\nWantedBy=default\.target$/m)
    expect(systemdQuote('plain-word')).toBe('plain-word')
    expect(systemdQuote('a b')).toBe('"a b"')
  })

  it('LaunchAgent plist: label, one <string> per argument, escaped, RunAtLoad and KeepAlive', () => {
    const plist = launchAgentPlist({ ...spec, logFile: '/Users/ada/Library/Logs/distw.log' })
    expect(plist).toContain('<string>org.distw.daemon</string>')
    expect(plist).toContain(
      '    <string>/opt/distw/distw</string>\n    <string>daemon</string>\n    <string>--slots</string>\n    <string>4</string>',
    )
    expect(plist).toContain('<string>lab box &amp; &quot;co&quot;</string>')
    expect(plist).toMatch(/<key>RunAtLoad<\/key>\s*<true\/>/)
    expect(plist).toMatch(/<key>KeepAlive<\/key>/)
    expect(plist).toContain('<key>StandardErrorPath</key>\n  <string>/Users/ada/Library/Logs/distw.log</string>')
  })

  it('Task Scheduler XML: log-on trigger, command and arguments quoted like CommandLineToArgvW', () => {
    const xml = scheduledTaskXml(
      { program: 'C:\\Program Files\\distw\\distw.exe', args: ['daemon', '--name', 'a "b"', '--work-dir', 'C:\\tmp dir\\'] },
      'ada',
    )
    expect(xml).toContain('<LogonTrigger>\n      <Enabled>true</Enabled>\n      <UserId>ada</UserId>')
    expect(xml).toContain('<Command>C:\\Program Files\\distw\\distw.exe</Command>')
    expect(xml).toContain('<Arguments>daemon --name &quot;a \\&quot;b\\&quot;&quot; --work-dir &quot;C:\\tmp dir\\\\&quot;</Arguments>')
    expect(xml).toContain('<ExecutionTimeLimit>PT0S</ExecutionTimeLimit>')
    expect(windowsQuote('')).toBe('""')
    expect(windowsQuote('x\\')).toBe('x\\')
  })

  it('the unit passes `systemd-analyze verify`, and a broken one does not', async (context) => {
    const probe = await execa('systemd-analyze', ['--version'], { reject: false })
    if (probe.exitCode !== 0) return context.skip('systemd-analyze is not installed (apt package systemd)')
    const dir = await tempDir()
    const verify = async (text: string) => {
      const file = path.join(dir, 'distw.service')
      await fs.writeFile(file, text)
      return execa('systemd-analyze', ['verify', file], { reject: false, env: { XDG_RUNTIME_DIR: dir, SYSTEMD_LOG_LEVEL: 'warning' } })
    }
    // A program that exists: verify checks ExecStart's executable.
    const good = await verify(
      systemdUnit(daemonServiceSpec(['--slots', '2', '--name', 'a b'], [process.execPath, '/opt/distw/bin/run.js'])),
    )
    expect(good.stderr).toBe('')
    expect(good.exitCode).toBe(0)
    const broken = await verify(systemdUnit({ program: 'relative/distw', args: ['daemon'] }))
    expect(broken.exitCode).not.toBe(0)
  })
})

describe('install, uninstall, status (temp home, recorded service manager)', () => {
  it('Linux: writes the unit, enables and starts it, hints at enable-linger; uninstall disables and removes', async () => {
    const { ctx, calls, home } = await fakeContext('linux', { 'systemctl --user is-active distw': { ok: true, output: 'active' } })
    const report = await installService(ctx, spec, true)
    expect(report.file).toBe(path.join(home, '.config/systemd/user/distw.service'))
    expect(await fs.readFile(report.file, 'utf8')).toBe(systemdUnit(spec))
    expect(calls).toEqual(['systemctl --user daemon-reload', 'systemctl --user enable --now distw'])
    expect(report.lines.at(-1)).toBe('to start it at boot without a login: loginctl enable-linger "ada"')
    expect(await serviceStatus(ctx)).toMatchObject({ installed: true, running: true })
    const removed = await uninstallService(ctx)
    expect(calls).toContain('systemctl --user disable --now distw')
    expect(removed.lines).toContain(`removed ${report.file}`)
    await expect(fs.stat(report.file)).rejects.toThrow()
  })

  it('Linux without a user bus: the file is written and the user is told what to run', async () => {
    const failing = { ok: false, output: 'Failed to connect to bus: No medium found' }
    const { ctx } = await fakeContext('linux', { 'systemctl --user daemon-reload': failing, 'systemctl --user is-active distw': failing })
    const report = await installService(ctx, spec, true)
    expect(report.lines[1]).toContain('could not run `systemctl --user daemon-reload`: Failed to connect to bus')
    expect(await serviceStatus(ctx)).toMatchObject({ installed: true, running: undefined })
  })

  it('macOS: LaunchAgent under ~/Library/LaunchAgents, loaded with launchctl', async () => {
    const { ctx, calls, home } = await fakeContext('darwin', {
      'launchctl list org.distw.daemon': { ok: true, output: '{\n\t"PID" = 4242;\n}' },
    })
    const report = await installService(ctx, spec, true)
    expect(report.file).toBe(path.join(home, 'Library/LaunchAgents/org.distw.daemon.plist'))
    expect(calls).toEqual([`launchctl load -w ${report.file}`])
    expect(await serviceStatus(ctx)).toMatchObject({ installed: true, running: true })
  })

  it('Windows: task XML written as UTF-16 and registered with schtasks', async () => {
    const { ctx, calls, home } = await fakeContext('win32')
    const report = await installService(ctx, spec, true)
    expect(report.file).toBe(path.join(home, 'AppData/Roaming/distw/distw-task.xml'))
    const bytes = await fs.readFile(report.file)
    expect([...bytes.subarray(0, 2)]).toEqual([0xff, 0xfe])
    expect(bytes.subarray(2).toString('utf16le')).toBe(scheduledTaskXml(spec, 'ada'))
    expect(calls).toEqual([`schtasks /Create /F /TN distw /XML ${report.file}`, 'schtasks /Run /TN distw'])
  })
})

describe('distw daemon install | status | uninstall (the CLI, temp HOME)', () => {
  // Six CLI processes: generous time on a loaded 2-core machine.
  it('carries the daemon flags into the unit and refuses flags the daemon would refuse', { timeout: 120_000 }, async () => {
    const home = await tempDir('distw-home-')
    const env = { HOME: home, XDG_CONFIG_HOME: path.join(home, '.config'), PATH: process.env.PATH ?? '' }
    const install = await distw(['daemon', 'install', '--no-start', '--slots', '4', '--name', 'lab box', '--allow-root'], { env })
    expect(install.stderr).toBe('')
    expect(install.exitCode).toBe(0)
    expect(install.stdout).toContain('no pool on this machine')
    const unit = await fs.readFile(path.join(home, '.config/systemd/user/distw.service'), 'utf8')
    expect(unit).toMatch(/^ExecStart=\/\S+ \/\S+\/bin\/run\.js daemon --slots 4 --name "lab box" --allow-root$/m)
    const status = await distw(['daemon', 'status', '--json'], { env })
    expect(JSON.parse(status.stdout)).toMatchObject({ installed: true })
    const bad = await distw(['daemon', 'install', '--no-start', '--slots', 'many', '--allow-root'], { env })
    expect(bad.exitCode).toBe(2)
    const uninstall = await distw(['daemon', 'uninstall'], { env })
    expect(uninstall.stdout).toContain('removed')
    const after = await distw(['daemon', 'status', '--json'], { env })
    expect(JSON.parse(after.stdout)).toMatchObject({ installed: false })
  })

  it('carries the pool: the unit names its secret file; as root it is refused without --allow-root', async () => {
    const home = await tempDir('distw-home-')
    const env = { HOME: home, XDG_CONFIG_HOME: path.join(home, '.config'), PATH: process.env.PATH ?? '' }
    expect((await distw(['pool', 'new'], { env })).exitCode).toBe(0)
    const install = await distw(['daemon', 'install', '--no-start', '--allow-root'], { env })
    expect(install.exitCode).toBe(0)
    expect(install.stdout).toMatch(/the service serves pool [0-9a-f]{8}/)
    const unit = await fs.readFile(path.join(home, '.config/systemd/user/distw.service'), 'utf8')
    expect(unit).toContain(`daemon --allow-root --secret-file ${path.join(home, '.config/distw/secret')}`)
    await expect(serviceFlags([], { uid: 0, secretFile: path.join(home, 'none') })).rejects.toThrow(
      /refusing to install the daemon as root/,
    )
    expect((await serviceFlags([], { uid: 1000, secretFile: path.join(home, 'none') })).flags).toEqual([])
  })
})
