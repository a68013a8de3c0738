// The one place a task's process is started. The task runs in its own process group so that a timeout
// or a cancel can end everything it started: execa 9 alone signals only the direct child, and a
// grandchild holding stdout would keep the task "running" (shared STACK-NOTES).
import { execa } from 'execa'
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
  const child = execa(file, args, {
    cwd: options.cwd,
    env: options.env,
    extendEnv: false,
    detached: true,
    stdin: 'ignore',
    buffer: false,
    reject: false,
    cleanup: true,
    stripFinalNewline: false,
  })
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
    signalGroup(child.pid, 'SIGTERM')
    killTimer ??= setTimeout(() => signalGroup(child.pid, 'SIGKILL'), options.killGraceMs)
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
  child.on('exit', () => signalGroup(child.pid, 'SIGKILL'))

  const result = await child
  clearTimeout(timeout)
  clearTimeout(killTimer)
  options.signal.removeEventListener('abort', onAbort)
  const base = { timedOut, cancelled, durationMs: Math.round(performance.now() - started) }
  if (result.failed && result.exitCode === undefined && result.signal === undefined) {
    return { ...base, exitCode: null, signal: null, startError: result.shortMessage ?? 'could not start' }
  }
  return { ...base, exitCode: result.exitCode ?? null, signal: result.signal ?? null }
}

function splitArgv(argv: string[]): [string, string[]] {
  const [file, ...args] = argv
  return [file as string, args]
}

function signalGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return
  try {
    process.kill(-pid, signal)
  } catch {
    // ESRCH: the group is already gone.
  }
}
