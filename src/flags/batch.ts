// Flags shared by the commands that run a batch (`submit`, `run`), defined once so they cannot drift
// apart, and their translation into the options of submit() and of the reporter.
import { Flags } from '@oclif/core'
import { loadSecret } from '../secret.js'
import { parseHalt } from '../submit/halt.js'
import { defaultBlobBookPath } from '../submit/blob-book.js'
import type { SubmitOptions } from '../submit/submit.js'
import { MAX_RETRIES } from '../tasks/index.js'
import { defaultDigestStorePath } from '../transfer/digest-store.js'
import { connectionFlags, connectionOptions } from './connection.js'
import { durationFlag } from './values.js'

export const batchFlags = {
  ...connectionFlags,
  out: Flags.string({ description: 'write returned files under DIR/<task name>/ instead of here' }),
  slots: Flags.integer({ description: 'slots of the embedded local node (default: cores − 1)', min: 1 }),
  joblog: Flags.string({ description: 'append one tab-separated row per attempt to FILE', helpValue: 'FILE' }),
  resume: Flags.boolean({
    description:
      "skip tasks the --joblog FILE records as succeeded (same command, inputs and env); failed ones run again, so GNU Parallel's --resume-failed is the same flag",
    aliases: ['resume-failed'],
    dependsOn: ['joblog'],
  }),
  halt: Flags.string({
    description:
      'stop early: now,fail=N cancels running tasks after N failures, soon,fail=N lets them finish and starts no more; success=N (stop at the Nth success, exit 0) or done=N (at the Nth task ended) in place of fail=N',
  }),
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
      'remember input digests and which node holds which blobs across runs in ~/.cache/distw/ (or $XDG_CACHE_HOME); --no-digest-cache: hash every input anew',
    allowNo: true,
    default: true,
  }),
  locality: Flags.boolean({
    description:
      'run each task on the node holding most of its input bytes, waiting briefly for it rather than sending them elsewhere; --no-locality: the least loaded node',
    allowNo: true,
    default: true,
  }),
  'auto-inputs': Flags.boolean({
    description: 'send the files a plain line names as its inputs; --no-auto-inputs: only what "inputs" lists',
    allowNo: true,
    default: true,
  }),
  bar: Flags.boolean({
    description:
      'show the progress line (done, running, failed, ETA) on stderr: drawn in place on a terminal, where it is the default; elsewhere (a pipe, a CI log) printed once a second as it changes; --no-bar: never (--progress and --eta are the same flag)',
    aliases: ['progress', 'eta'],
    allowNo: true,
  }),
  'dry-run': Flags.boolean({ description: 'print each task with the inputs it would send; connect to nothing, run nothing' }),
  'keep-order': Flags.boolean({ char: 'k', description: 'print output in the order of the task lines, not as tasks end' }),
  tag: Flags.boolean({
    description: 'prefix each output line with [task name]; --no-tag: the output bytes as they are',
    allowNo: true,
    default: true,
  }),
  timeout: durationFlag({ description: 'time limit of every task that sets none (its whole process tree is killed)' }),
  retries: Flags.integer({ description: 'retries of every failed task that sets none', min: 0, max: MAX_RETRIES }),
  jobs: Flags.integer({
    char: 'j',
    charAliases: ['P'],
    aliases: ['max-procs'],
    description:
      'run at most N tasks of this batch at once across all nodes (default, or 0: every free slot; -P N and --max-procs N are the same, as in xargs)',
    min: 0,
  }),
}

export interface BatchFlagValues {
  'secret-file'?: string | undefined
  insecure: boolean
  peer?: string[] | undefined
  wait: number | undefined
  mdns: boolean
  broadcast: boolean
  'probe-port': number
  out?: string | undefined
  slots?: number | undefined
  joblog?: string | undefined
  resume: boolean
  halt?: string | undefined
  heartbeat?: number | undefined
  reconnect?: number | undefined
  local?: boolean | undefined
  'digest-cache': boolean
  'auto-inputs': boolean
  locality: boolean
  timeout?: number | undefined
  retries?: number | undefined
  jobs?: number | undefined
}

/** Everything submit() takes from the flags (not the tasks, observer or signal). */
export async function batchOptions(flags: BatchFlagValues): Promise<Omit<SubmitOptions, 'tasks'>> {
  const secret = await loadSecret({ file: flags['secret-file'] })
  const connection = connectionOptions(flags, 1000)
  const halt = flags.halt === undefined ? undefined : parseHalt(flags.halt)
  return {
    peers: connection.peers,
    discovery: connection.discovery,
    discoveryWaitMs: connection.waitMs,
    local: flags.local === undefined ? 'auto' : flags.local ? 'also' : 'never',
    autoInputs: flags['auto-inputs'],
    locality: flags.locality,
    defaults: {
      ...(flags.timeout === undefined ? {} : { timeoutMs: flags.timeout }),
      ...(flags.retries === undefined ? {} : { retries: flags.retries }),
    },
    ...(flags.out === undefined ? {} : { outDir: flags.out }),
    ...(secret === undefined ? {} : { secret, insecure: flags.insecure }),
    ...(flags.slots === undefined ? {} : { localSlots: flags.slots }),
    ...(flags.heartbeat === undefined ? {} : { heartbeatMs: flags.heartbeat }),
    ...(flags.reconnect === undefined ? {} : { reconnectMs: flags.reconnect }),
    ...(flags.joblog === undefined ? {} : { joblog: flags.joblog, resume: flags.resume }),
    ...(halt === undefined ? {} : { halt }),
    // 0 is GNU Parallel's and xargs's "as many as can run": no limit.
    ...(flags.jobs ? { jobs: flags.jobs } : {}),
    ...(flags['digest-cache'] ? { digestStore: defaultDigestStorePath(), nodeBlobs: defaultBlobBookPath() } : {}),
  }
}
