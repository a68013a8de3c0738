// The one place `distw submit` decides how it reports: a spinner line on an interactive terminal,
// plain lines in a pipe or under CI. (`--json`, NDJSON only, will be one more branch here.)
import { plainReporter } from './plain-reporter.js'
import type { Reporter } from './reporter.js'
import { spinnerReporter } from './spinner-reporter.js'

export interface ReporterChoice {
  stdout: NodeJS.WriteStream
  stderr: NodeJS.WriteStream
  env: NodeJS.ProcessEnv
}

export function chooseReporter({ stdout, stderr, env }: ReporterChoice = process): Reporter {
  const streams = { out: (t: string) => void stdout.write(t), err: (t: string) => void stderr.write(t) }
  // A terminal that reports no width (some pseudo-terminals) cannot have a line redrawn in place.
  if (stderr.isTTY && (stderr.columns ?? 0) > 0 && !isCI(env)) return spinnerReporter(streams, stderr)
  return { ...plainReporter(streams), close: () => {} }
}

/** CI=true (or any CI value but false/0) means no animation: logs keep every frame. */
function isCI(env: NodeJS.ProcessEnv): boolean {
  const ci = env.CI
  return ci !== undefined && ci !== '' && ci !== 'false' && ci !== '0'
}
