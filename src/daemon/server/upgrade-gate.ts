// Decides, at the HTTP upgrade and before any frame is read, whether a WebSocket may open at all:
// browsers (an Origin header) never, addresses outside --allow never, an address that failed the
// handshake too often not for now.
import type { IncomingMessage } from 'node:http'
import type { AddressAllowList } from './address-allow.js'
import type { AuthLimiter } from './auth-limiter.js'

export interface GateVerdict {
  ok: boolean
  status: number
  reason: string
}

export function checkUpgrade(req: IncomingMessage, allow: AddressAllowList, limiter: AuthLimiter): GateVerdict {
  const address = req.socket.remoteAddress
  // A web page can open a WebSocket to any address the browser reaches, and browsers always send
  // Origin (old ones, of the hybi drafts, Sec-WebSocket-Origin); distw's own clients never send either.
  if (req.headers.origin !== undefined || req.headers['sec-websocket-origin'] !== undefined)
    return { ok: false, status: 403, reason: 'browser origin refused' }
  if (!allow.allows(address)) return { ok: false, status: 403, reason: `the address ${address ?? '?'} is not in this node's --allow list` }
  if (address !== undefined && !limiter.allows(address)) return { ok: false, status: 429, reason: 'too many failed handshakes' }
  return { ok: true, status: 101, reason: '' }
}
