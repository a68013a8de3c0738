// What a mistyped command gets (oclif's command_not_found hook, listed in package.json). On a terminal,
// @oclif/plugin-not-found asks "Did you mean submit?" and runs it on yes. Off one (a script, CI, a pipe,
// output to a file) that plugin asks nothing but names no command either, so the nearest one is named
// here and the exit is 127 (a shell's "command not found"): nobody is there to answer a prompt.
import { toConfiguredId, type Hook } from '@oclif/core'
import notFound from '@oclif/plugin-not-found'
import { closest } from './closest.js'

const hook: Hook.CommandNotFound = async function (options) {
  // The plugin prompts when stdin is a terminal; its question is on stdout, so that must be one too.
  if (process.stdin.isTTY && process.stdout.isTTY) return notFound.call(this, options)
  const { config, id } = options
  const ids = config.commands.filter((c) => !c.hidden).flatMap((c) => [c.id, ...c.aliases])
  const guess = closest(id, ids)
  this.warn(`${toConfiguredId(id, config)} is not a ${config.bin} command.`)
  const meant = guess === undefined ? '' : `Did you mean ${toConfiguredId(guess, config)}? `
  this.error(`${meant}Run ${config.bin} help for a list of available commands.`, { exit: 127 })
}

export default hook
