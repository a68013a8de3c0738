// The header of one WebSocket binary message (RFC 6455 §5.2), for a frame Channel writes to the socket
// itself (channel.ts says why). It relies on ws's internals, checked here each time: which side this
// socket is, and that ws's sender has nothing of its own queued (it queues only while compressing or
// reading a Blob, which distw never asks of it), so a frame written now leaves in order.
import type { WebSocket } from 'ws'

interface WsInternals {
  _isServer?: unknown
  _sender?: { _state?: unknown; _queue?: unknown[] }
}

/** The header for a FIN binary frame of `length` bytes from this side, or undefined: let ws frame it. */
export function wsFrameHeader(ws: WebSocket, length: number): Buffer | undefined {
  const { _isServer: isServer, _sender: sender } = ws as unknown as WsInternals
  if (typeof isServer !== 'boolean' || sender?._state !== 0 || sender._queue?.length !== 0) return undefined
  const lengthBytes = length < 126 ? 0 : length < 65_536 ? 2 : 8
  // A client masks (a zero key, as connect-channel.ts's: the bytes go as they are); a server does not.
  const header = Buffer.alloc(2 + lengthBytes + (isServer ? 0 : 4))
  header[0] = 0x82 // FIN, binary
  header[1] = (isServer ? 0 : 0x80) | (lengthBytes === 0 ? length : lengthBytes === 2 ? 126 : 127)
  if (lengthBytes === 2) header.writeUInt16BE(length, 2)
  else if (lengthBytes === 8) header.writeBigUInt64BE(BigInt(length), 2)
  return header
}
