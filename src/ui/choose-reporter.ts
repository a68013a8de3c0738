// The one place `distw submit` decides how it reports: NDJSON events with --json, a spinner line on an
// interactive terminal, plain lines in a pipe or under CI.
import type { BatchResult } from '../submit/result.js'
import { writableAgain } from '../transfer/writable-again.js'
import { jsonReporter } from './json-reporter.js'
import { keepOrder } from './keep-order.js'
import { noColor } from './no-color.js'
import { plainReporter } from './plain-reporter.js'
import { withProgressLines } from './progress-lines.js'
import type { Reporter } from './reporter.js'
import { spinnerReporter } from './spinner-reporter.js'

export interface ReporterChoice {
  stdout: NodeJS.WriteStream
  stderr: NodeJS.WriteStream
  env: NodeJS.ProcessEnv
}

/** A reporter as submit drives it: callbacks while the batch runs, then finish() once. */
export type BatchReporter = Omit<Reporter, 'summary'> & { finish(batch: BatchResult, exitCode: number): void }

export interface ReporterOptions {
  json?: boolean
  /** `-k`: output in the order of the task lines. */
  keepOrder?: boolean
  /** `--no-tag` (false): output bytes with no `[task]` prefix. */
  tag?: boolean
  /**
   * `--bar`: the progress line, drawn in place on a terminal (its default there) or printed once a
   * second elsewhere; `--no-bar` (false): never. Undefined: on a terminal only.
   */
  bar?: boolean
  /** True once nothing more is to be said (the reader of stdout went away): stderr stays silent. */
  quiet?: () => boolean
}

export function chooseReporter({ stdout, stderr, env }: ReporterChoice = process, options: ReporterOptions = {}): BatchReporter {
  const ordered = options.keepOrder ? keepOrder : <T>(r: T) => r
  const quiet = options.quiet ?? (() => false)
  if (options.json) {
    const json = jsonReporter(
      (t) => stdout.write(t),
      () => writableAgain(stdout),
    )
    return {
      ...ordered(json),
      close: () => {},
      finish: (batch, exitCode) => json.finished(batch.results, batch.durationMs, exitCode, batch),
    }
  }
  const err = (t: string | Uint8Array) => quiet() || stderr.write(t)
  const streams = { out: (t: string | Uint8Array) => void stdout.write(t), err: (t: string | Uint8Array) => void err(t) }
  const tag = { tag: options.tag ?? true }
  // A terminal that reports no width (some pseudo-terminals) cannot have a line redrawn in place.
  const animated = stderr.isTTY && (stderr.columns ?? 0) > 0 && !isCI(env)
  // Made only where it is the reporter (the spinner wraps a plain reporter of its own).
  const plain = (): Reporter => ({
    // A slow terminal or pipe slows the task itself: output waits for the stream to drain.
    ...plainReporter(
      {
        out: (t) => stdout.write(t),
        err,
        drained: (s) => writableAgain(s === 'out' ? stdout : stderr),
      },
      tag,
    ),
    close: () => {},
  })
  const reporter: Reporter =
    animated && options.bar !== false
      ? spinnerReporter(streams, stderr, { ...tag, color: !noColor(env) })
      : options.bar === true
        ? withProgressLines(plain(), (t) => void err(t))
        : plain()
  return {
    ...ordered(reporter),
    finish: (batch) => {
      reporter.close()
      if (!quiet()) stderr.write(reporter.summary(batch.results, batch.durationMs, batch))
    },
  }
}

/** CI=true (or any CI value but false/0) means no animation: logs keep every frame. */
function isCI(env: NodeJS.ProcessEnv): boolean {
  const ci = env.CI
  return ci !== undefined && ci !== '' && ci !== 'false' && ci !== '0'
}
