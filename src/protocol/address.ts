// Where a node is on the wire: its WebSocket URL from host and port, and whether an address is this
// machine's loopback (a node without a secret serves loopback only; its announcer answers only there).
import { isIP } from 'node:net'

/** The one builder of `ws://host:port`: an IPv6 literal goes in brackets (`ws://[fe80::1]:7420`). */
export function nodeUrl(host: string, port: number): string {
  const bare = host.replace(/^\[|\]$/g, '')
  return `ws://${bare.includes(':') ? `[${bare}]` : bare}:${port}`
}

/** True for 127.0.0.0/8, ::1 and localhost, also IPv4-mapped (`::ffff:127.0.0.1`) and in brackets. */
export function isLoopback(address: string): boolean {
  const h = address.replace(/^\[|\]$/g, '').toLowerCase()
  if (h === 'localhost' || h === '::1') return true
  const v4 = /^(?:::ffff:)?(\d+\.\d+\.\d+\.\d+)$/.exec(h)?.[1]
  return v4 !== undefined && isIP(v4) === 4 && v4.startsWith('127.')
}
