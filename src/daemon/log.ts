// The daemon's log: one line per event, `time event key=value …` (values quoted when they need it), or
// with --log-json one JSON object per line. Events in VERBOSE_EVENTS are written only with --verbose.
import fs from 'node:fs'
import type { Writable } from 'node:stream'
import { UserError } from '../errors.js'

export type EventLog = (event: string, fields?: Record<string, unknown>) => void

/** Frequent events that only `--verbose` shows. */
export const VERBOSE_EVENTS: ReadonlySet<string> = new Set(['reservation refused'])

export function lineLogger(out: Writable): EventLog {
  return (event, fields = {}) => {
    const pairs = Object.entries(fields).map(([k, v]) => {
      const text = typeof v === 'string' ? v : JSON.stringify(v)
      return `${k}=${/^[^\s"=]+$/.test(text) ? text : JSON.stringify(text)}`
    })
    out.write(`${new Date().toISOString()} ${event}${pairs.length ? ' ' + pairs.join(' ') : ''}\n`)
  }
}

// One JSON object per line: {"time":…,"event":…, …fields}; fields cannot overwrite time or event.
export function jsonLogger(out: Writable): EventLog {
  return (event, fields = {}) => out.write(JSON.stringify({ ...fields, time: new Date().toISOString(), event }) + '\n')
}

export interface DaemonLogOptions {
  json?: boolean
  verbose?: boolean
  /** Append to this file instead of writing to `fallback` (stderr). */
  file?: string | undefined
}

// The log the daemon command uses; close() flushes and closes the file, if any.
export async function openDaemonLog(
  options: DaemonLogOptions,
  fallback: Writable = process.stderr,
): Promise<{ log: EventLog; close(): Promise<void> }> {
  let out = fallback
  let file: fs.WriteStream | undefined
  if (options.file !== undefined) {
    file = fs.createWriteStream(options.file, { flags: 'a' })
    await new Promise<void>((resolve, reject) => {
      file?.once('open', () => resolve())
      file?.once('error', (error) =>
        reject(new UserError(`cannot write the log file ${options.file}: ${error.message}`, 'pass a writable path to --log-file')),
      )
    })
    out = file
  }
  const write = options.json ? jsonLogger(out) : lineLogger(out)
  const log: EventLog = (event, fields) => {
    if (!options.verbose && VERBOSE_EVENTS.has(event)) return
    write(event, fields)
  }
  return { log, close: () => new Promise<void>((resolve) => (file ? file.end(resolve) : resolve())) }
}
