import { Args, Flags } from '@oclif/core'
import fs from 'node:fs/promises'
import { BaseCommand } from '../base-command.js'
import { durationFlag } from '../duration-flag.js'
import { connectionFlags, connectionOptions } from '../connection-flags.js'
import { EXIT, UserError } from '../errors.js'
import { submit } from '../submit/submit.js'
import { parseHalt } from '../submit/halt.js'
import { loadSecret } from '../secret.js'
import { defaultDigestStorePath } from '../transfer/digest-store.js'
import { chooseReporter } from '../ui/choose-reporter.js'

export default class Submit extends BaseCommand {
  static override summary = 'Run a batch of tasks, one per line, on the nodes of the network.'
  static override description =
    'Reads task lines from FILE (or standard input with "-"), checks every line before anything is sent, runs the tasks on the nodes given with --peer or found on the LAN (mDNS and UDP broadcast; nodes that appear during the batch join it), or on an embedded local node when none is found, and writes every file a task created or changed back here.'
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

  static override flags = {
    ...connectionFlags,
    out: Flags.string({ description: 'write returned files under DIR/<task name>/ instead of here' }),
    slots: Flags.integer({ description: 'slots of the embedded local node (default: cores − 1)', min: 1 }),
    joblog: Flags.string({ description: 'append one tab-separated row per attempt to FILE', helpValue: 'FILE' }),
    resume: Flags.boolean({
      description: 'skip tasks the --joblog FILE records as succeeded (same command, inputs and env)',
      dependsOn: ['joblog'],
    }),
    halt: Flags.string({ description: 'give up after N failures: now,fail=N cancels running tasks, soon,fail=N lets them finish' }),
    json: Flags.boolean({
      description: 'print NDJSON events (node-added/lost, task-queued/started/output/finished, waiting, batch-finished) on stdout',
    }),
    heartbeat: durationFlag({
      description: 'interval of connection pings; a node silent for two is lost and its tasks run elsewhere (default 5s)',
    }),
    reconnect: durationFlag({
      description:
        'how long to keep dialling a node whose connection was lost, or a --peer that did not answer at the start (default 1m; 0: never); tasks with no other node wait for it that long',
    }),
    local: Flags.boolean({
      description: 'also run tasks on an embedded local node; --no-local: never (default: only when no node is found)',
      allowNo: true,
    }),
    'digest-cache': Flags.boolean({
      description:
        'remember input digests across runs in ~/.cache/distw/digests.json (or $XDG_CACHE_HOME); --no-digest-cache: hash every input anew',
      allowNo: true,
      default: true,
    }),
  }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Submit)
    const file = args.file ?? (process.stdin.isTTY ? undefined : '-')
    if (file === undefined)
      throw new UserError('no tasks given', 'pass a task file (distw submit tasks.txt) or pipe lines into distw submit -')
    const text = file === '-' ? await readStdin() : await readTaskFile(file)
    const secret = await loadSecret({ file: flags['secret-file'] })

    const connection = connectionOptions(flags, 1000)
    const abort = new AbortController()
    const onSignal = () => abort.abort()
    process.once('SIGINT', onSignal)
    process.once('SIGTERM', onSignal)
    // A reader that went away (`distw submit --json … | head -3`) ends the batch as Ctrl-C does: its
    // tasks are cancelled. Writes already under way then fail here, quietly, instead of crashing.
    process.stdout.on('error', onSignal)
    const halt = flags.halt === undefined ? undefined : parseHalt(flags.halt)
    const reporter = chooseReporter(process, { json: flags.json })
    try {
      const batch = await submit({
        tasks: text,
        source: file === '-' ? '<stdin>' : file,
        peers: connection.peers,
        discovery: connection.discovery,
        discoveryWaitMs: connection.waitMs,
        local: flags.local === undefined ? 'auto' : flags.local ? 'also' : 'never',
        observer: reporter,
        signal: abort.signal,
        ...(flags.out === undefined ? {} : { outDir: flags.out }),
        ...(secret === undefined ? {} : { secret }),
        ...(flags.slots === undefined ? {} : { localSlots: flags.slots }),
        ...(flags.heartbeat === undefined ? {} : { heartbeatMs: flags.heartbeat }),
        ...(flags.reconnect === undefined ? {} : { reconnectMs: flags.reconnect }),
        ...(flags.joblog === undefined ? {} : { joblog: flags.joblog, resume: flags.resume }),
        ...(halt === undefined ? {} : { halt }),
        ...(flags['digest-cache'] ? { digestStore: defaultDigestStorePath() } : {}),
      })
      const exitCode = abort.signal.aborted ? EXIT.INTERRUPTED : batch.ok ? EXIT.OK : EXIT.TASK_FAILED
      reporter.finish(batch.results, batch.durationMs, exitCode)
      process.exitCode = exitCode
    } finally {
      reporter.close()
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
      // Kept when stdout failed: a late write (the summary) must not turn into an uncaught error.
      if (!process.stdout.destroyed) process.stdout.off('error', onSignal)
    }
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

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}
