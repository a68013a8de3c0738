// `distw run CMD {} ::: ARGS`: GNU Parallel's form of a batch, one task per argument (or stdin line).
import { BaseCommand } from '../base-command.js'
import { batchFlags, batchOptions } from '../flags/batch.js'
import { runBatch, stdinLines } from '../batch-run.js'
import { splitAtCommand } from '../command-words.js'
import { UserError } from '../errors.js'
import { runTaskLines } from '../tasks/run-tasks.js'

export default class Run extends BaseCommand {
  static override summary = 'Run a command once per argument on the nodes of the network, as GNU Parallel does.'
  static override description =
    "One task per argument after :::, per line of the files after ::::, or per line of standard input when neither is given; several groups combine as every pairing (GNU Parallel's cartesian product). Replacement strings: {} the argument, {.} without extension, {/} base name, {//} folder, {/.} base name without extension, {#} task number, {%} slot; {} is appended when the command has none. Arguments are shell-quoted; the files the command names are sent with it. distw's flags go before the command."
  static override usage = 'run [FLAGS] COMMAND [ARG…] [::: ARGUMENTS…] [:::: FILES…]'
  static override examples = [
    '<%= config.bin %> run gzip -k {} ::: *.txt',
    { description: 'Arguments from a pipe:', command: 'ls *.txt | <%= config.bin %> run gzip -k {}' },
    '<%= config.bin %> run --dry-run convert {} {.}.png ::: *.jpg',
  ]

  static override strict = false
  static override flags = batchFlags

  async run(): Promise<void> {
    const split = splitAtCommand(this.argv, Run.flags)
    const { flags } = await this.parse(Run, split.flags)
    const options = await batchOptions(flags)
    // Arguments read from a terminal would wait for Ctrl-D with no word said: refused instead.
    const stdin = () => {
      if (process.stdin.isTTY)
        throw new UserError('no arguments given', 'give them after ::: (distw run gzip -k {} ::: *.txt) or pipe them in')
      return stdinLines()
    }
    const tasks = await runTaskLines(split.words, { cwd: process.cwd(), stdin, ...(flags.jobs ? { slots: flags.jobs } : {}) })
    await runBatch({
      options: { ...options, tasks, source: 'distw run' },
      json: flags.json,
      dryRun: flags['dry-run'],
      keepOrder: flags['keep-order'],
      tag: flags.tag,
      ...(flags.bar === undefined ? {} : { bar: flags.bar }),
    })
  }
}
