// The entry of the single executable (bundled to CommonJS by build.mjs). The binary has no package.json
// and no files beside it, so oclif gets the inlined package.json as the root plugin (isRoot) and the
// command table directly instead of loading its explicit target from disk (oclif#653).
import { execute, Plugin } from '@oclif/core'
import path from 'node:path'
import pjson from '../../package.json'
import { COMMANDS } from '../../src/index.ts'
import { initYoga } from './yoga-shim.mjs'

const loadTarget = Plugin.prototype.loadCommandsFromTarget
// The root plugin's commands are the bundled table; any other plugin keeps oclif's own loading.
Plugin.prototype.loadCommandsFromTarget = async function loadBundledCommands() {
  if (this.isRoot) return COMMANDS
  return loadTarget.call(this)
}

// Runs the CLI like bin/run.js does; oclif's handler sets the exit code.
async function main() {
  await initYoga()
  const root = path.dirname(process.execPath)
  await execute({ loadOptions: { root, pjson: structuredClone(pjson), isRoot: true } })
}

void main()
