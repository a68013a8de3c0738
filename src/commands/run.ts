// `distw run CMD {} ::: ARGS`: GNU Parallel's form of a batch, one task per argument (or stdin line).
import { BaseCommand } from '../base-command.js'
import { batchFlags, batchOptions } from '../flags/batch.js'
import { withoutParallelHabits } from '../flags/parallel-habits.js'
import { runInputFlags, runInputOptions } from '../flags/run-inputs.js'
import { runBatch, stdinLines } from '../batch-run.js'
import { splitAtCommand } from '../command-words.js'
import { UserError } from '../errors.js'
import { runTaskLines } from '../tasks/run-tasks.js'

export default class Run extends BaseCommand {
  static override summary = 'Run a command once per argument on the nodes of the network, as GNU Parallel does.'
  static override description =
    "One task per argument after :::, per line of the files after :::: (or -a FILE), or per line of standard input when neither is given; several sources combine as every pairing (GNU Parallel's cartesian product), or Nth with Nth with :::+ or --link. Replacement strings: {} the argument, {.} without extension, {/} base name, {//} folder, {/.} base name without extension, {#} task number, {%} slot, {1} {2} … the argument of each source (or column, with --colsep; or of the task's N arguments, with -N); {} is appended when the command has none. Arguments are shell-quoted; the files the command names are sent with it. distw's flags go before the command."
  static override usage = 'run [FLAGS] COMMAND [ARG…] [::: ARGUMENTS…] [:::: FILES…]'
  static override examples = [
    '<%= config.bin %> run gzip -k {} ::: *.txt',
    { description: 'Arguments from a pipe:', command: 'ls *.txt | <%= config.bin %> run gzip -k {}' },
    {
      description: 'File names that may hold spaces or newlines:',
      command: "find . -name '*.log' -print0 | <%= config.bin %> run -0 gzip -k",
    },
    '<%= config.bin %> run --dry-run convert {} {.}.png ::: *.jpg',
  ]

  static override strict = false
  static override flags = { ...batchFlags, ...runInputFlags }

  async run(): Promise<void> {
    const split = splitAtCommand(this.argv, Run.flags)
    // `-0` cannot be an oclif flag (a digit), and oclif would take it for a number: GNU Parallel's
    // and xargs's short form of --null.
    const { flags, argv } = await this.parse(
      Run,
      withoutParallelHabits(split.flags).map((word) => (word === '-0' ? '--null' : word)),
    )
    if (argv.length > 0) {
      throw new UserError(
        `unknown flag ${String(argv[0])}`,
        'see distw run --help; a word of the command goes after the flags (or after --)',
      )
    }
    const options = await batchOptions(flags)
    const inputs = runInputOptions(flags)
    // Arguments read from a terminal would wait for Ctrl-D with no word said: refused instead.
    const stdin = (delimiter: string) => {
      if (process.stdin.isTTY)
        throw new UserError('no arguments given', 'give them after ::: (distw run gzip -k {} ::: *.txt) or pipe them in')
      return stdinLines(delimiter)
    }
    const tasks = await runTaskLines(split.words, { ...inputs, cwd: process.cwd(), stdin, ...(flags.jobs ? { slots: flags.jobs } : {}) })
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
