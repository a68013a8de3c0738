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
    const settings = resolveSettings({
      flags: { slots: 8, port: 7420, name: undefined, hours: undefined },
      fromDefault: new Set(['port']),
      env: { DISTW_NAME: 'from-env', DISTW_PORT: '7100' },
      configPath: file,
    })
    expect(settings.get('slots')).toEqual({ value: 8, source: 'flag' })
    expect(settings.get('name')).toEqual({ value: 'from-env', source: 'env', from: 'DISTW_NAME' })
    expect(settings.get('port')).toEqual({ value: 7100, source: 'env', from: 'DISTW_PORT' })
    expect(settings.get('hours')).toEqual({ value: '19:00-07:00', source: 'file', from: file })
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
    expect(() => resolveSettings({ ...base, env: { DISTW_PORT: 'http' }, configPath: undefined })).toThrow(/DISTW_PORT=http/)
    expect(() => resolveSettings({ ...base, configPath: '/nonexistent/distw.json' })).toThrow(
      /cannot read the config file \/nonexistent\/distw.json/,
    )
  })

  it('distw config show reports sources; the daemon runs with the file and the flag wins over it', async () => {
    const home = await tempDir('distw-home-')
    await fs.mkdir(path.join(home, '.config/distw'), { recursive: true })
    await fs.writeFile(path.join(home, '.config/distw/config.json'), JSON.stringify({ slots: 3, name: 'filebox' }))
    const show = await distw(['config', 'show', '--json'], { env: { HOME: home, DISTW_NAME: 'envbox' } })
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
