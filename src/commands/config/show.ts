import { Flags } from '@oclif/core'
import { BaseCommand } from '../../base-command.js'
import { resolveSettings, type Setting } from '../../config/load.js'
import { daemonFlags } from '../../flags/daemon.js'

export default class ConfigShow extends BaseCommand {
  static override summary = 'Show the effective daemon settings and where each comes from.'
  static override description =
    'Precedence: flags > environment (DISTW_<NAME>, e.g. DISTW_WORK_DIR) > config file (~/.config/distw/config.json, or --config) > defaults. The file holds the daemon flags by name, e.g. {"slots": 4, "hours": "19:00-07:00"}.'
  static override examples = ['<%= config.bin %> config show', '<%= config.bin %> config show --config ./distw.json --json']
  static override enableJsonFlag = true

  static override flags = {
    config: Flags.string({ description: 'config file (default: ~/.config/distw/config.json)' }),
  }

  async run(): Promise<Record<string, Setting>> {
    const { flags } = await this.parse(ConfigShow)
    const defaults = Object.fromEntries(Object.entries(daemonFlags).map(([name, flag]) => [name, (flag as { default?: unknown }).default]))
    const settings = await resolveSettings({
      flags: defaults,
      fromDefault: new Set(Object.keys(defaults)),
      env: process.env,
      configPath: flags.config,
    })
    for (const [key, setting] of settings) {
      const value = setting.value === undefined ? '(unset)' : JSON.stringify(setting.written ?? (await defaultText(key)) ?? setting.value)
      this.log(`${key.padEnd(15)} ${value.padEnd(24)} ${setting.source}${setting.from ? ` (${setting.from})` : ''}`)
    }
    return Object.fromEntries(settings)
  }
}

// How --help shows a default that is stored parsed (a size, a duration): "10G", not 10737418240.
async function defaultText(key: string): Promise<unknown> {
  const help = (daemonFlags as Record<string, { defaultHelp?: unknown }>)[key]?.defaultHelp
  return typeof help === 'function' ? ((await help()) as unknown) : help
}
