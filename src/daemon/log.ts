// The daemon's log: one line per event, `time event key=value …` (values quoted when they need it), or
// with --log-json one JSON object per line. Events in VERBOSE_EVENTS are written only with --verbose.
import fs from 'node:fs'
import type { Writable } from 'node:stream'
import { UserError } from '../errors.js'
import { writeDirect } from './run/direct-write.mjs'

export type EventLog = (event: string, fields?: Record<string, unknown>) => void

/** Frequent events that only `--verbose` shows. */
export const VERBOSE_EVENTS: ReadonlySet<string> = new Set(['reservation refused'])

/** Where log lines go: a stream, or the per-turn batcher below. */
export interface LineSink {
  write(text: string): unknown
}

// Two lines a task on a busy node: built by concatenation, the time's text reused within its millisecond.
const PLAIN_VALUE = /^[^\s"=]+$/

export function lineLogger(out: LineSink): EventLog {
  const time = clock()
  return (event, fields = {}) => {
    let line = `${time()} ${event}`
    for (const key in fields) {
      const value = fields[key]
      const text = typeof value === 'string' ? value : JSON.stringify(value)
      line += ` ${key}=${PLAIN_VALUE.test(text) ? text : JSON.stringify(text)}`
    }
    out.write(`${line}\n`)
  }
}

/**
 * Now as an ISO 8601 string (UTC, milliseconds). `toISOString` runs once a second; within it only the
 * milliseconds change, appended by hand (a busy node logs a line or two each millisecond or so, and
 * `toISOString` was most of a line's cost).
 */
function clock(): () => string {
  let second = NaN
  let prefix = '' // 2026-12-05T07:14:19.
  let at = NaN
  let text = ''
  return () => {
    const now = Date.now()
    if (now === at) return text
    at = now
    const ms = now % 1000
    if (now - ms !== second) {
      second = now - ms
      prefix = new Date(second).toISOString().slice(0, 20)
    }
    text = `${prefix}${ms < 10 ? '00' : ms < 100 ? '0' : ''}${ms}Z`
    return text
  }
}

// One JSON object per line: {"time":…,"event":…, …fields}; fields cannot overwrite time or event.
export function jsonLogger(out: LineSink): EventLog {
  const time = clock()
  return (event, fields = {}) => out.write(JSON.stringify({ ...fields, time: time(), event }) + '\n')
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
  const lines = batched(out)
  const write = options.json ? jsonLogger(lines) : lineLogger(lines)
  const log: EventLog = (event, fields) => {
    if (!options.verbose && VERBOSE_EVENTS.has(event)) return
    write(event, fields)
  }
  // An exit (a crash included) writes what is pending; SIGKILL loses at most LOG_WRITE_MS of lines.
  process.on('exit', lines.flush)
  return {
    log,
    close: () => {
      process.off('exit', lines.flush)
      lines.flush()
      return new Promise<void>((resolve) => (file ? file.end(resolve) : resolve()))
    },
  }
}

/** A busy node writes its log at most this often (SIGKILL loses at most this long's lines). */
export const LOG_WRITE_MS = 20

// Lines logged in one turn of the event loop leave in one write: a busy node logs two lines a task,
// and each write to a pipe, a file or the journal's socket is a system call (stderr's synchronous),
// which also wakes the reader. A line that comes within LOG_WRITE_MS of the last write waits for the
// rest of that time, so a node running hundreds of tasks a second writes ~50 times a second; a
// quiet node writes each turn's lines at its end, as before.
function batched(out: Writable): LineSink & { flush(): void } {
  let pending = ''
  let scheduled = false
  let wroteAt = Number.NEGATIVE_INFINITY
  const flush = (): void => {
    scheduled = false
    if (pending === '') return
    const text = pending
    pending = ''
    wroteAt = performance.now()
    // Straight to the descriptor while nothing is queued (stderr, or the log file once open).
    const fd = (out as { fd?: unknown }).fd
    writeDirect(out, typeof fd === 'number' && fd >= 0 ? fd : undefined, [text])
  }
  return {
    write(text: string) {
      pending += text
      if (scheduled) return
      scheduled = true
      const wait = wroteAt + LOG_WRITE_MS - performance.now()
      if (wait > 0) setTimeout(flush, wait).unref()
      else setImmediate(flush)
    },
    flush,
  }
}
