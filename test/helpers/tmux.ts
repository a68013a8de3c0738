// A real terminal for TUI tests: a detached tmux session running a command line, its screen read as
// text, keys typed one at a time. The session is killed by `kill()`, which tests call in `finally`.
import { execa } from 'execa'
import { CLI } from './cli.js'
import { until } from './wait.js'

export interface Terminal {
  /** The screen as text now. */
  pane(): Promise<string>
  /** Waits until the screen matches `what`; returns the screen, or fails with it. */
  shows(what: RegExp, timeoutMs?: number): Promise<string>
  /** Types one key, as a user does (keys arriving in one read are one input to Ink). */
  key(name: string): Promise<void>
  kill(): Promise<void>
}

const tmux = (...args: string[]) => execa('tmux', args, { reject: false })

/**
 * Starts `distw ARGS` in a terminal of `columns` × `rows`, without CI (with it Ink draws only its last
 * frame). With `exitFile`, its exit code is written there when it ends; the terminal stays open.
 */
export async function distwInTerminal(
  args: string[],
  options: { columns?: number; rows?: number; env?: string; exitFile?: string } = {},
): Promise<Terminal> {
  const session = `distw-tui-${process.pid}-${Date.now()}`
  const exit = options.exitFile === undefined ? '' : `; echo $? > ${JSON.stringify(options.exitFile)}`
  const line = `env -u CI ${options.env ?? ''} ${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} ${args.join(' ')}${exit}; sleep 30`
  const started = await tmux(
    'new-session',
    '-d',
    '-s',
    session,
    '-x',
    String(options.columns ?? 130),
    '-y',
    String(options.rows ?? 30),
    line,
  )
  if (started.exitCode !== 0) throw new Error(`tmux could not start: ${started.stderr}`)
  const pane = async () => (await tmux('capture-pane', '-p', '-t', session)).stdout
  return {
    pane,
    shows: (what, timeoutMs = 60_000) =>
      until(async () => what.test(await pane()) && (await pane()), `the terminal to show ${what}`, timeoutMs).catch(async (e: Error) => {
        throw new Error(`${e.message}\n${await pane()}`)
      }),
    key: async (name) => {
      await tmux('send-keys', '-t', session, name)
      await new Promise((resolve) => setTimeout(resolve, 400))
    },
    kill: async () => void (await tmux('kill-session', '-t', session)),
  }
}
