// The README's `distw daemon install | status | uninstall` lines, verbatim, in a HOME of their own with a
// stand-in `systemctl` first on PATH that records what it is asked (so the machine's systemd, and a
// developer's own user session, are never touched). Install refuses root without --allow-root, as the
// README says, so as root the lines run as the user nobody, the way a user without root would.
import { execa } from 'execa'
import fs from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { CLI, tempDir } from '../helpers/cli.js'
import { readmeExample } from '../helpers/readme.js'

const NOBODY = 65534

// A user's HOME holding `bin/distw` (the built CLI) and `bin/systemctl` (answers is-active with "active").
async function userHome() {
  const home = await tempDir('distw-home-')
  const bin = path.join(home, 'bin')
  await fs.mkdir(bin)
  await fs.writeFile(path.join(bin, 'distw'), `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`, { mode: 0o755 })
  const systemctl = `#!/bin/sh\necho "systemctl $*" >> "$HOME/systemctl.log"\n[ "$2" = is-active ] && echo active\nexit 0\n`
  await fs.writeFile(path.join(bin, 'systemctl'), systemctl, { mode: 0o755 })
  const asRoot = process.getuid?.() === 0
  if (asRoot) await execa('chown', ['-R', `${NOBODY}:${NOBODY}`, home])
  const env = {
    HOME: home,
    XDG_CONFIG_HOME: path.join(home, '.config'),
    PATH: `${bin}:${process.env.PATH ?? ''}`,
    CI: 'true',
    NO_COLOR: '1',
  }
  const run = (line: string) => {
    const [file, args] = asRoot
      ? ['setpriv', ['--reuid', String(NOBODY), '--regid', String(NOBODY), '--clear-groups', 'sh', '-c', line]]
      : ['sh', ['-c', line]]
    return execa(file, args, { cwd: home, env, extendEnv: false, reject: false, stdin: 'ignore' })
  }
  const calls = async () => (await fs.readFile(path.join(home, 'systemctl.log'), 'utf8').catch(() => '')).trim().split('\n')
  return { home, run, calls, unit: path.join(home, '.config/systemd/user/distw.service') }
}

describe('the README’s login-service lines, verbatim', { timeout: 180_000 }, () => {
  it('daemon install (serving the pool), daemon status, daemon uninstall', async () => {
    const { home, run, calls, unit } = await userHome()
    expect((await run(readmeExample('distw pool new'))).exitCode).toBe(0)
    const install = await run(readmeExample('distw daemon install'))
    expect(install.exitCode, install.stderr).toBe(0)
    expect(install.stdout).toContain(`wrote ${unit}`)
    expect(install.stdout).toMatch(/the service serves pool [0-9a-f]{8}/)
    expect(await fs.readFile(unit, 'utf8')).toMatch(
      new RegExp(`^ExecStart=\\S+ \\S+/bin/run\\.js daemon --secret-file ${path.join(home, '.config/distw/secret')}$`, 'm'),
    )
    expect(await calls()).toEqual(['systemctl --user daemon-reload', 'systemctl --user enable --now distw'])

    const status = await run(readmeExample('distw daemon status'))
    expect(status.exitCode, status.stderr).toBe(0)
    expect(status.stdout).toBe(`installed (${unit}), running`)

    const removed = await run(readmeExample('distw daemon uninstall'))
    expect(removed.exitCode, removed.stderr).toBe(0)
    expect(removed.stdout).toContain(`removed ${unit}`)
    expect((await calls()).slice(-2)).toEqual(['systemctl --user disable --now distw', 'systemctl --user daemon-reload'])
    expect((await run('distw daemon status')).stdout).toMatch(/^not installed/)
  })

  it('daemon install --slots 4 --hours 19:00-07:00: the flags go into the unit as typed', async () => {
    const { run, unit } = await userHome()
    const install = await run(readmeExample('distw daemon install --slots 4 --hours 19:00-07:00'))
    expect(install.exitCode, install.stderr).toBe(0)
    expect(install.stdout).toContain('no pool on this machine: the service listens on loopback only')
    expect(await fs.readFile(unit, 'utf8')).toMatch(/^ExecStart=\S+ \S+\/bin\/run\.js daemon --slots 4 --hours 19:00-07:00$/m)
  })
})
