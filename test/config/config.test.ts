// Config: flags > DISTW_* environment > file > defaults; a bad file is a UserError naming the file and
// the field; `distw config show` says where each value came from; the daemon really uses the file.
import fs from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { resolveSettings } from '../../src/config/load.js'
import { distw, spawnDaemon, tempDir } from '../helpers/cli.js'

// Writes a config file into a fresh folder and returns its path.
async function configFile(content: string): Promise<string> {
  const file = path.join(await tempDir(), 'config.json')
  await fs.writeFile(file, content)
  return file
}

describe('config', () => {
  it('takes each value from the flag, else the environment, else the file, else the default', async () => {
    const file = await configFile(JSON.stringify({ slots: 3, name: 'from-file', port: 7000, hours: '19:00-07:00' }))
    const settings = await resolveSettings({
      flags: { slots: 8, port: 7420, name: undefined, hours: undefined },
      fromDefault: new Set(['port']),
      env: { DISTW_NAME: 'from-env', DISTW_PORT: '7100' },
      configPath: file,
    })
    expect(settings.get('slots')).toEqual({ value: 8, source: 'flag' })
    expect(settings.get('name')).toEqual({ value: 'from-env', source: 'env', from: 'DISTW_NAME', written: 'from-env' })
    expect(settings.get('port')).toEqual({ value: 7100, source: 'env', from: 'DISTW_PORT', written: '7100' })
    expect(settings.get('hours')).toMatchObject({
      value: { start: 19 * 60, end: 7 * 60 },
      source: 'file',
      from: file,
      written: '19:00-07:00',
    })
    expect(settings.get('work-dir')).toEqual({ value: undefined, source: 'default' })
  })

  it('a bad file or variable is a UserError naming the file and the field', async () => {
    const base = { flags: {}, fromDefault: new Set<string>(), env: {} }
    await expect(async () => resolveSettings({ ...base, configPath: await configFile('{"slots": "four"}') })).rejects.toThrow(
      /config\.json: field "slots"/,
    )
    await expect(async () => resolveSettings({ ...base, configPath: await configFile('{"slot": 4}') })).rejects.toThrow(
      /field "slot": Unrecognized key/,
    )
    await expect(async () => resolveSettings({ ...base, configPath: await configFile('{oops') })).rejects.toThrow(
      /config\.json is not valid JSON/,
    )
    await expect(resolveSettings({ ...base, env: { DISTW_PORT: 'http' }, configPath: undefined })).rejects.toThrow(/DISTW_PORT=http/)
    await expect(resolveSettings({ ...base, configPath: '/nonexistent/distw.json' })).rejects.toThrow(
      /cannot read the config file \/nonexistent\/distw.json/,
    )
    // Bounds are the flag's own: the same words as on the command line, naming where the value was.
    await expect(resolveSettings({ ...base, configPath: await configFile('{"slots": 0}') })).rejects.toThrow(
      /config\.json: field "slots": Expected an integer greater than or equal to 1/,
    )
    await expect(resolveSettings({ ...base, configPath: await configFile('{"hours": "25:00-26:00"}') })).rejects.toThrow(
      /field "hours": "25:00-26:00" is not an hours window/,
    )
    await expect(resolveSettings({ ...base, env: { DISTW_CACHE_SIZE: 'lots' }, configPath: undefined })).rejects.toThrow(
      /DISTW_CACHE_SIZE=lots: invalid size "lots"/,
    )
    await expect(resolveSettings({ ...base, env: { DISTW_TAG: 'gpu,a b' }, configPath: undefined })).rejects.toThrow(
      /DISTW_TAG=gpu,a b: "a b" is no tag/,
    )
  })

  it('the file and the environment take every daemon flag but --config, read by the flag (README: any daemon flag)', async () => {
    const file = await configFile(
      JSON.stringify({ 'cache-size': '2G', 'secret-file': '/etc/distw/secret', tag: ['gpu', 'ffmpeg'], 'max-load': 2.5, mdns: false }),
    )
    const settings = await resolveSettings({
      flags: {},
      fromDefault: new Set(),
      env: { DISTW_DAILY_BUDGET: '4h', DISTW_ALLOW: '10.0.0.0/8,::1' },
      configPath: file,
    })
    expect(settings.get('cache-size')).toMatchObject({ value: 2 * 1024 ** 3, source: 'file', written: '2G' })
    expect(settings.get('secret-file')).toMatchObject({ value: '/etc/distw/secret', source: 'file' })
    expect(settings.get('tag')).toMatchObject({ value: ['gpu', 'ffmpeg'], source: 'file' })
    expect(settings.get('max-load')).toMatchObject({ value: 2.5, source: 'file' })
    expect(settings.get('mdns')).toMatchObject({ value: false, source: 'file' })
    expect(settings.get('daily-budget')).toMatchObject({ value: 4 * 3_600_000, source: 'env', from: 'DISTW_DAILY_BUDGET' })
    expect(settings.get('allow')).toMatchObject({ value: ['10.0.0.0/8', '::1'], source: 'env' })
    expect([...settings.keys()]).not.toContain('config')
  })

  // Four CLI processes: generous time on a loaded 2-core machine.
  it('distw daemon install refuses what distw daemon refuses (an hours window past 24:00, a bad tag)', { timeout: 120_000 }, async () => {
    const env = { HOME: await tempDir('distw-home-') }
    for (const [flags, says] of [
      [['--hours', '25:00-26:00'], '--hours: "25:00-26:00" is not an hours window'],
      [['--tag', 'a b'], '--tag: "a b" is no tag'],
      [['--evict'], '--evict needs a policy'],
    ] as const) {
      const install = await distw(['daemon', 'install', '--no-start', ...flags], { env })
      expect(install.exitCode, flags.join(' ')).toBe(2)
      expect(install.stderr).toContain(says)
    }
    // The same words from the daemon itself (a bad tag and --evict alone: test/security, test/daemon).
    const daemon = await distw(['daemon', '--port', '0', '--hours', '25:00-26:00'], { env })
    expect(daemon.exitCode).toBe(2)
    expect(daemon.stderr).toContain('--hours: "25:00-26:00" is not an hours window')
    await expect(fs.access(path.join(env.HOME, '.config/systemd'))).rejects.toThrow()
  })

  it('distw config show reports sources; the daemon runs with the file and the flag wins over it', { timeout: 120_000 }, async () => {
    const home = await tempDir('distw-home-')
    await fs.mkdir(path.join(home, '.config/distw'), { recursive: true })
    await fs.writeFile(path.join(home, '.config/distw/config.json'), JSON.stringify({ slots: 3, name: 'filebox' }))
    const show = await distw(['config', 'show', '--json'], {
      env: { HOME: home, XDG_CONFIG_HOME: path.join(home, '.config'), DISTW_NAME: 'envbox' },
    })
    expect(show.exitCode).toBe(0)
    expect(JSON.parse(show.stdout)).toMatchObject({
      slots: { value: 3, source: 'file' },
      name: { value: 'envbox', source: 'env' },
      port: { value: 7420, source: 'default' },
    })
    const file = await configFile(JSON.stringify({ slots: 3, name: 'filebox' }))
    const fromFile = await spawnDaemon(['--config', file])
    expect(fromFile.banner).toContain('"filebox"')
    expect(fromFile.banner).toContain('with 3 slot(s)')
    const flagWins = await spawnDaemon(['--config', file, '--slots', '2'])
    expect(flagWins.banner).toContain('with 2 slot(s)')
  })
})
