// The daemon's log: one line per event, `time event key=value …`, values quoted when they need it.
import type { Writable } from 'node:stream'

export function lineLogger(out: Writable): (event: string, fields?: Record<string, unknown>) => void {
  return (event, fields = {}) => {
    const pairs = Object.entries(fields).map(([k, v]) => {
      const text = typeof v === 'string' ? v : JSON.stringify(v)
      return `${k}=${/^[^\s"=]+$/.test(text) ? text : JSON.stringify(text)}`
    })
    out.write(`${new Date().toISOString()} ${event}${pairs.length ? ' ' + pairs.join(' ') : ''}\n`)
  }
}
