// Turns what a user writes for a node (`host`, `host:port`, `[v6]:port`, `ws://…`) into a WebSocket URL.
import { UserError } from '../errors.js'
import { DEFAULT_PORT, nodeUrl } from '../protocol/index.js'

export function peerUrl(peer: string): string {
  const text = peer.trim()
  const bad = () => new UserError(`bad peer address "${peer}"`, 'write HOST, HOST:PORT or [IPv6]:PORT, e.g. 192.168.1.20:7420')
  // Checked as a URL too: a host such as "a b" passed the pattern and failed later, as a stack trace.
  const checked = (url: string): string => {
    if (!URL.canParse(url)) throw bad()
    return url
  }
  if (/^wss?:\/\//.test(text)) return checked(text)
  const match = /^(?:\[([^\]]+)\]|([^:[\]\s/]+))(?::(\d+))?$/.exec(text)
  const host = match?.[1] ?? match?.[2]
  const port = match?.[3] === undefined ? DEFAULT_PORT : Number(match[3])
  if (!match || !host || port < 1 || port > 65535) throw bad()
  return checked(nodeUrl(host, port))
}
