// `distw submit [FILE|-]`: task lines from a file or a pipe, run on the pool.
import { Args } from '@oclif/core'
import fs from 'node:fs/promises'
import { BaseCommand } from '../base-command.js'
import { batchFlags, batchOptions } from '../flags/batch.js'
import { runBatch, stdinLines } from '../batch-run.js'
import { UserError } from '../errors.js'

export default class Submit extends BaseCommand {
  static override summary = 'Run a batch of tasks, one per line, on the nodes of the network.'
  static override description =
    'Reads task lines from FILE (checking every line before anything is sent) or from standard input (each line runs as it arrives; a bad line is reported and skipped, and makes the exit code 2), runs the tasks on the nodes given with --peer or found on the LAN (mDNS and UDP broadcast; nodes that appear during the batch join it), or on an embedded local node when none is found, and writes every file a task created or changed back here.'
  static override examples = [
    '<%= config.bin %> submit tasks.txt',
    {
      description: 'Task lines from a pipe:',
      command: 'seq 1 100 | sed "s/.*/gzip -k data\\/&.csv/" | <%= config.bin %> submit -',
    },
    '<%= config.bin %> submit tasks.txt --peer 192.168.1.20:7420 --peer 192.168.1.21:7420 --out results',
  ]

  static override args = {
    // ignoreStdin: else oclif takes piped standard input (when it ends within 10 ms) as this argument's
    // value, i.e. the task lines as a file name. Standard input is read below, as task lines.
    file: Args.string({ description: 'task file, or - for standard input', required: false, ignoreStdin: true }),
  }

  static override flags = batchFlags

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Submit)
    const file = args.file ?? (process.stdin.isTTY ? undefined : '-')
    if (file === undefined)
      throw new UserError('no tasks given', 'pass a task file (distw submit tasks.txt) or pipe lines into distw submit -')
    // A pipe is a stream: each line runs as it arrives. A file is checked whole before anything runs.
    const tasks = file === '-' ? stdinLines() : await readTaskFile(file)
    const options = await batchOptions(flags)
    await runBatch({
      options: { ...options, tasks, source: file === '-' ? '<stdin>' : file },
      json: flags.json,
      dryRun: flags['dry-run'],
      keepOrder: flags['keep-order'],
      tag: flags.tag,
      ...(flags.bar === undefined ? {} : { bar: flags.bar }),
    })
  }
}

async function readTaskFile(file: string): Promise<string> {
  try {
    return await fs.readFile(file, 'utf8')
  } catch (error) {
    throw new UserError(
      `cannot read task file ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      'check the path',
    )
  }
}
