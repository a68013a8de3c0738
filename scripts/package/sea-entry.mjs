// The entry of the single executable (bundled to CommonJS by build.mjs). The binary has no package.json
// and no files beside it, so oclif gets the inlined package.json as the root plugin (isRoot) and the
// command table directly instead of loading its explicit target from disk (oclif#653).
//
// The daemon also starts this binary as its spawn helper (src/daemon/run/spawn-helper.mjs). That role is
// decided first, and the CLI is imported only otherwise, so the helper does not load (and fork with)
// the whole CLI.
import path from 'node:path'
import pjson from '../../package.json'
import { runSpawnHelper } from '../../src/daemon/run/spawn-helper.mjs'

// Runs the CLI like bin/run.js does; oclif's handler sets the exit code.
async function main() {
  const { Config, Errors, execute, Plugin, ux } = await import('@oclif/core')
  const { COMMANDS } = await import('../../src/index.ts')
  const { initYoga } = await import('./yoga-shim.mjs')
  const commands = { ...COMMANDS, ...(await pluginCommands()) }
  const loadTarget = Plugin.prototype.loadCommandsFromTarget
  // The root plugin's commands are the bundled table; any other plugin keeps oclif's own loading.
  Plugin.prototype.loadCommandsFromTarget = async function loadBundledCommands() {
    if (this.isRoot) return commands
    return loadTarget.call(this)
  }
  // oclif loads a hook from its file; distw's not-found hook (over plugin-not-found) is bundled, so it
  // is called from here.
  const { default: notFound } = await import('../../src/not-found.ts')
  const runHook = Config.prototype.runHook
  Config.prototype.runHook = async function runBundledHook(event, opts, ...rest) {
    if (event !== 'command_not_found') return runHook.call(this, event, opts, ...rest)
    const context = {
      config: this,
      debug: () => {},
      error: (message, options = {}) => Errors.error(message, options),
      exit: (code = 0) => Errors.exit(code),
      log: (message, ...args) => ux.stdout(message, ...args),
      warn: (message) => Errors.warn(message),
    }
    try {
      return {
        successes: [{ result: await notFound.call(context, { ...opts, config: this, context }), plugin: this.rootPlugin }],
        failures: [],
      }
    } catch (error) {
      return { successes: [], failures: [{ error, plugin: this.rootPlugin }] }
    }
  }
  await initYoga()
  const root = path.dirname(process.execPath)
  // The plugins and the hook are inside the binary (above), not on disk beside it for oclif to load.
  const bundled = structuredClone(pjson)
  bundled.oclif.plugins = []
  bundled.oclif.hooks = {}
  await execute({ loadOptions: { root, pjson: bundled, isRoot: true } })
}

// The commands of the oclif plugins package.json lists (help, autocomplete), bundled with distw's own.
async function pluginCommands() {
  const { commands: help } = await import('@oclif/plugin-help')
  // Literal paths, for esbuild to bundle: the package exports no path to its commands.
  const [{ default: autocomplete }, { default: create }, { default: script }] = await Promise.all([
    import('../../node_modules/@oclif/plugin-autocomplete/lib/commands/autocomplete/index.js'),
    import('../../node_modules/@oclif/plugin-autocomplete/lib/commands/autocomplete/create.js'),
    import('../../node_modules/@oclif/plugin-autocomplete/lib/commands/autocomplete/script.js'),
  ])
  return { ...help, autocomplete, 'autocomplete:create': create, 'autocomplete:script': script }
}

if (process.env.DISTW_SPAWN_HELPER === '1') runSpawnHelper()
else void main()
