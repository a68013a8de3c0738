// The one place a task's process is started, through the spawn helper (spawn-helper.mjs: forking from
// the daemon itself cost more, and blocked it, as its heap grew). The task runs in its own process group
// and its own tree (a cgroup, or a marker variable: task-tree.ts) so that its end, a timeout or a cancel
// ends everything it started, `setsid` children included: signalling only the direct child would leave
// a grandchild holding stdout, keeping the task "running" (shared STACK-NOTES). A shell line
// without shell syntax runs without /bin/sh (shell-words.ts). Plain node:child_process rather than
// execa: this is the per-task hot path, and execa cost 2–6 ms a spawn.
import { randomUUID } from 'node:crypto'
import type { Command } from '../../protocol/index.js'
import { directArgv } from './shell-words.js'
import { launch, type OnOutput } from './spawn-helper-client.js'
import type { StopSignal } from './task-stop.js'
import type { Tree } from './task-tree.mjs'

export interface ExecOptions {
  command: Command
  cwd: string
  env: Record<string, string>
  /** Where the task's processes go, to be found and killed (task-tree.ts); default: a marker of its own. */
  tree?: Tree
  timeoutMs?: number | undefined
  /** Time between TERM and KILL when a task is stopped. */
  killGraceMs: number
  signal: StopSignal
  /** Receives output as it comes; a returned promise pauses that stream until it settles (backpressure). */
  onOutput: OnOutput
  /** The process still runs a moment (the helper's STARTED_AFTER_MS) after it was started. */
  onStarted?: () => void
}

export interface ExecResult {
  exitCode: number | null
  signal: string | null
  timedOut: boolean
  cancelled: boolean
  durationMs: number
  /** Set when the process could not be started at all (e.g. the executable does not exist). */
  startError?: string
}

export async function execute(options: ExecOptions): Promise<ExecResult> {
  const started = performance.now()
  const { command } = options
  if ('argv' in command) return (await run(options, splitArgv(command.argv), undefined, started)).result
  const direct = directArgv(command.shell)
  if (direct) {
    // PWD as sh sets it for what it starts.
    const attempt = await run(options, splitArgv(direct), options.cwd, started)
    // Not found, not executable, not a binary: nothing ran, so the shell gets the line and says so in
    // its own words and exit status (127, 126), or runs a script that has no #! line.
    if (!attempt.notStarted || options.signal.aborted) return attempt.result
  }
  return (await run(options, ['/bin/sh', ['-c', command.shell]], undefined, started)).result
}

// One process (`pwd`: its PWD, over the environment's): `notStarted` when the program could not be started at all.
async function run(
  options: ExecOptions,
  [file, args]: [string, string[]],
  pwd: string | undefined,
  started: number,
): Promise<{ result: ExecResult; notStarted: boolean }> {
  const child = launch(
    { file, args, cwd: options.cwd, env: options.env, pwd, tree: options.tree ?? { marker: randomUUID() } },
    options.onOutput,
    options.onStarted,
  )

  let timedOut = false
  let cancelled = false
  let killTimer: NodeJS.Timeout | undefined
  const stop = (): void => {
    child.signal('SIGTERM')
    killTimer ??= setTimeout(() => child.signal('SIGKILL'), options.killGraceMs)
  }
  const onAbort = (): void => {
    cancelled = true
    stop()
  }
  options.signal.addEventListener('abort', onAbort, { once: true })
  if (options.signal.aborted) onAbort()
  const timeout =
    options.timeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          timedOut = true
          stop()
        }, options.timeoutMs)

  const outcome = await child.ended
  if (timeout !== undefined) clearTimeout(timeout)
  if (killTimer !== undefined) clearTimeout(killTimer)
  options.signal.removeEventListener('abort', onAbort)
  const durationMs = Math.round(performance.now() - started)
  // Object literals of one shape, not spreads: this runs once a task (spreads took V8's slow paths here).
  if ('error' in outcome) {
    const startError =
      outcome.kind === 'failed'
        ? `could not start ${file}: ${outcome.code ?? outcome.error}`
        : outcome.kind === 'lost'
          ? `${outcome.error}; the task was stopped`
          : outcome.error
    return { result: { exitCode: null, signal: null, timedOut, cancelled, durationMs, startError }, notStarted: outcome.kind === 'failed' }
  }
  return { result: { exitCode: outcome.code, signal: outcome.signal, timedOut, cancelled, durationMs }, notStarted: false }
}

function splitArgv(argv: string[]): [string, string[]] {
  const [file, ...args] = argv
  return [file as string, args]
}
