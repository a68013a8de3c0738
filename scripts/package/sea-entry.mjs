// The entry of the single executable (bundled to CommonJS by build.mjs). The binary has no package.json
// and no files beside it, so oclif gets the inlined package.json as the root plugin (isRoot) and the
// command table directly instead of loading its explicit target from disk (oclif#653).
//
// The daemon also starts this binary as its spawn helper (src/daemon/spawn-helper.mjs). That role is
// decided first, and the CLI is imported only otherwise, so the helper does not load (and fork with)
// the whole CLI.
import path from 'node:path'
import pjson from '../../package.json'
import { runSpawnHelper } from '../../src/daemon/spawn-helper.mjs'

// Runs the CLI like bin/run.js does; oclif's handler sets the exit code.
async function main() {
  const { execute, Plugin } = await import('@oclif/core')
  const { COMMANDS } = await import('../../src/index.ts')
  const { initYoga } = await import('./yoga-shim.mjs')
  const loadTarget = Plugin.prototype.loadCommandsFromTarget
  // The root plugin's commands are the bundled table; any other plugin keeps oclif's own loading.
  Plugin.prototype.loadCommandsFromTarget = async function loadBundledCommands() {
    if (this.isRoot) return COMMANDS
    return loadTarget.call(this)
  }
  await initYoga()
  const root = path.dirname(process.execPath)
  await execute({ loadOptions: { root, pjson: structuredClone(pjson), isRoot: true } })
}

if (process.env.DISTW_SPAWN_HELPER === '1') runSpawnHelper()
else void main()
