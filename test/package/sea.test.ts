// The single executable: `npm run package`'s builder really builds dist/distw-<platform>-<arch>, and a real
// batch runs with the daemon and the submitter both started from that one file.
import { execa } from 'execa'
import fs from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { beforeAll, describe, expect, it } from 'vitest'
import { distw, spawnDaemon, tempDir } from '../helpers/cli.js'
import { lanUnavailable, makeLan, waitForOutput, type LanHost } from '../helpers/netns.js'
import { readmeExample } from '../helpers/readme.js'
import { buildExecutable } from '../../scripts/package/build.mjs'
import { bundle } from '../../scripts/package/bundle.mjs'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
let exe = ''

// Built once for this file (reused when the sources did not change since the last build).
beforeAll(async () => {
  exe = (await buildExecutable(undefined, () => {})) as string
}, 180_000)

describe('single executable', () => {
  it('reports the version from the bundle, not from a package.json on disk', async () => {
    const pjson = JSON.parse(await fs.readFile(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }
    const cwd = await tempDir()
    const run = await distw(['--version'], { bin: exe, cwd })
    expect(run.stderr).toBe('')
    expect(run.stdout).toContain(`distw/${pjson.version}`)
  })

  it('has the oclif plugins inside: help, autocomplete, and not-found for a typo', async () => {
    const cwd = await tempDir()
    const help = await distw(['help'], { bin: exe, cwd })
    expect(help.stdout).toMatch(/^ {2}autocomplete +/m)
    expect(help.stdout).toMatch(/^ {2}run +/m)
    const complete = await distw(['autocomplete', 'script', 'bash'], { bin: exe, cwd })
    expect(complete.exitCode, complete.stderr).toBe(0)
    const typo = await distw(['subimt'], { bin: exe, cwd })
    expect(typo.exitCode).toBe(127)
    expect(typo.stderr).toContain('subimt is not a distw command')
    expect(typo.stderr).toContain('Did you mean submit?')
  })

  it('runs a batch: daemon and submit both from the binary', async () => {
    const node = await spawnDaemon(['--slots', '2'], { bin: exe })
    const cwd = await tempDir()
    await fs.writeFile(path.join(cwd, 'words.txt'), 'alpha beta gamma\n')
    const tasks = [
      '{"name":"count","run":"wc -w < words.txt > count.txt","inputs":["words.txt"]}',
      '{"name":"hello","run":"echo hello from $(uname -s) > hello.txt; echo to-stdout"}',
      '{"name":"fails","run":"exit 3"}',
    ].join('\n')
    const run = await distw(['submit', '-', '--peer', node.peer], { bin: exe, cwd, input: tasks })
    expect(run.stderr).toMatch(/3 tasks: 2 succeeded, 1 failed/)
    expect(run.exitCode).not.toBe(0)
    expect(run.stdout).toContain('to-stdout')
    expect((await fs.readFile(path.join(cwd, 'count.txt'), 'utf8')).trim()).toBe('3')
    expect(await fs.readFile(path.join(cwd, 'hello.txt'), 'utf8')).toMatch(/^hello from /)
    // Optional native add-ons (bufferutil, msgpackr-extract) are absent in the binary: no warning, no crash.
    expect(node.log()).not.toMatch(/Warning|Error/)
  })

  it('daemon install from the binary starts the binary itself, by absolute path', async () => {
    const home = await tempDir('distw-home-')
    // CI runs as root, where install asks for --allow-root (which the unit then carries).
    const asRoot = process.getuid?.() === 0 ? ['--allow-root'] : []
    const run = await distw(['daemon', 'install', '--no-start', '--slots', '2', ...asRoot], {
      bin: exe,
      env: { HOME: home, XDG_CONFIG_HOME: path.join(home, '.config') },
    })
    expect(run.exitCode).toBe(0)
    const unit = await fs.readFile(path.join(home, '.config/systemd/user/distw.service'), 'utf8')
    expect(unit).toContain(`ExecStart=${[exe, 'daemon', '--slots', '2', ...asRoot].join(' ')}\n`)
  })

  // The README's line, verbatim, from the checkout, in a network namespace of its own (port 7420 is free
  // there); as root with DISTW_ALLOW_ROOT, as the README's config section allows.
  it.skipIf(`${process.platform}-${process.arch}` !== 'linux-x64' || lanUnavailable() !== undefined)(
    './dist/distw-linux-x64 daemon --slots 4, as the README runs it',
    async () => {
      const lan = await makeLan(1)
      try {
        const home = await tempDir('distw-home-')
        const env = { HOME: home, XDG_CONFIG_HOME: path.join(home, '.config'), DISTW_ALLOW_ROOT: 'true' }
        const child = lan.shell(lan.hosts[0] as LanHost, readmeExample('./dist/distw-linux-x64 daemon --slots 4'), { cwd: ROOT, env })
        const banner = await waitForOutput(child, (text) => /listening on/.test(text), 60_000).found
        expect(banner).toContain('listening on ws://127.0.0.1:7420 with 4 slot(s)')
        lan.interrupt(child)
        expect((await child).stderr).toMatch(/ stopping/)
      } finally {
        await lan.destroy()
      }
    },
    120_000,
  )

  it('bundles ink (yoga shim, reconciler without top-level await) into CommonJS that renders', async () => {
    const out = path.join(await tempDir(), 'ink-smoke.cjs')
    await bundle(path.join(ROOT, 'test/fixtures/package/ink-smoke.mjs'), out)
    const run = await execa(process.execPath, [out], { reject: false, env: { CI: 'true' } })
    expect(run.stderr).toBe('')
    expect(run.stdout).toContain('ink ok in bundle')
    expect(run.stdout).toContain('┌')
  })
})
