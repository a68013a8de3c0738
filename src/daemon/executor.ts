// The one place a task's process is started. The task runs in its own process group so that a timeout
// or a cancel can end everything it started: signalling only the direct child would leave a grandchild
// holding stdout, keeping the task "running" (shared STACK-NOTES). Plain node:child_process rather than
// execa: this is the per-task hot path, and execa cost 2–6 ms a spawn here (bench/spawn-overhead.mjs).
import { spawn, type ChildProcess } from 'node:child_process'
import type { Command } from '../protocol/index.js'

export interface ExecOptions {
  command: Command
  cwd: string
  env: Record<string, string>
  timeoutMs?: number | undefined
  /** Time between TERM and KILL when a task is stopped. */
  killGraceMs: number
  signal: AbortSignal
  /** Receives output as it comes; a returned promise pauses that stream until it settles (backpressure). */
  onOutput: (stream: 'stdout' | 'stderr', data: Buffer) => Promise<void> | undefined
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
  const [file, args] = 'shell' in options.command ? ['/bin/sh', ['-c', options.command.shell]] : splitArgv(options.command.argv)
  const elapsed = () => Math.round(performance.now() - started)
  let child: ChildProcess
  try {
    child = spawn(file, args, { cwd: options.cwd, env: options.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
  } catch (error) {
    // Arguments spawn refuses outright (a NUL byte in argv): the task cannot start.
    return { exitCode: null, signal: null, timedOut: false, cancelled: false, durationMs: elapsed(), startError: (error as Error).message }
  }
  const ended = new Promise<{ code: number | null; signal: string | null } | { error: Error }>((resolve) => {
    child.once('error', (error) => resolve({ error }))
    child.once('close', (code, signal) => resolve({ code, signal }))
  })
  const pid = child.pid
  if (pid !== undefined) live.add(pid)
  for (const name of ['stdout', 'stderr'] as const) {
    const stream = child[name]
    stream?.on('data', (data: Buffer) => {
      const wait = options.onOutput(name, data)
      if (!wait) return
      stream.pause()
      void wait.finally(() => stream.resume())
    })
  }

  let timedOut = false
  let cancelled = false
  let killTimer: NodeJS.Timeout | undefined
  const stop = (): void => {
    signalGroup(pid, 'SIGTERM')
    killTimer ??= setTimeout(() => signalGroup(pid, 'SIGKILL'), options.killGraceMs)
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
  // When the task's own process ends, whatever it left behind in its group is ended too: otherwise a
  // background child holding stdout keeps the task open forever.
  child.once('exit', () => signalGroup(pid, 'SIGKILL'))

  const outcome = await ended
  if (pid !== undefined) live.delete(pid)
  clearTimeout(timeout)
  clearTimeout(killTimer)
  options.signal.removeEventListener('abort', onAbort)
  const base = { timedOut, cancelled, durationMs: elapsed() }
  if ('error' in outcome) {
    const code = (outcome.error as NodeJS.ErrnoException).code
    return { ...base, exitCode: null, signal: null, startError: `could not start ${file}: ${code ?? outcome.error.message}` }
  }
  return { ...base, exitCode: outcome.code, signal: outcome.signal }
}

// Process groups of running tasks, killed if the daemon itself exits (a crash must not leave them behind).
const live = new Set<number>()
process.once('exit', () => {
  for (const pid of live) signalGroup(pid, 'SIGKILL')
})

function splitArgv(argv: string[]): [string, string[]] {
  const [file, ...args] = argv
  return [file as string, args]
}

function signalGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return
  // After every task's exit the group is usually gone already, and the ESRCH error's stack trace cost
  // ~0.2 ms a task in profiles: it is not captured.
  const stackTraceLimit = Error.stackTraceLimit
  Error.stackTraceLimit = 0
  try {
    process.kill(-pid, signal)
  } catch {
    // ESRCH: the group is already gone.
  } finally {
    Error.stackTraceLimit = stackTraceLimit
  }
}
