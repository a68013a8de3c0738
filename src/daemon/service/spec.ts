// What a login service starts: the program and its arguments, taken from the running distw (the single
// executable itself, or this Node with bin/run.js) plus the daemon flags the user gave to `install`.
import fs from 'node:fs'
import path from 'node:path'
import { runningAsSingleExecutable } from '../../single-executable.js'

export interface ServiceSpec {
  /** Absolute path of the executable to start. */
  program: string
  /** Arguments after the program: the script (when run by Node), `daemon`, then the user's flags. */
  args: string[]
  /** Where the service manager should write the daemon's output (launchd, Windows); systemd uses the journal. */
  logFile?: string
}

export const SERVICE_NAME = 'distw'
export const LAUNCHD_LABEL = 'org.distw.daemon'

// The program and leading arguments that start this same distw again, as absolute paths.
export function currentInvocation(argv: readonly string[] = process.argv, execPath = process.execPath): string[] {
  if (runningAsSingleExecutable()) return [execPath]
  const script = argv[1]
  if (script === undefined) return [execPath]
  return [execPath, fs.existsSync(script) ? fs.realpathSync(script) : path.resolve(script)]
}

// The spec for `distw daemon FLAGS…` started the way this process was.
export function daemonServiceSpec(daemonFlags: readonly string[], invocation = currentInvocation()): ServiceSpec {
  const [program, ...lead] = invocation
  if (program === undefined) throw new Error('empty invocation')
  return { program, args: [...lead, 'daemon', ...daemonFlags] }
}
