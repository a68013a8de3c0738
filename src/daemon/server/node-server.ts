// The node's listening socket. Without TLS it is a plain HTTP server carrying the WebSocket endpoint.
// With TLS (a pool) one port serves both: the first byte tells a TLS handshake (handed to the TLS
// server that carries the WebSocket) from plain HTTP (answered 401 "this node needs the pool's key", so a
// client without the secret hears why instead of a reset). An address out of handshake tokens is cut
// off before any TLS work; a failed TLS handshake (another pool's key) costs it a token.
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import net from 'node:net'
import type { TLSSocket } from 'node:tls'
import { TLS_HANDSHAKE_BYTE, tlsServerOptions } from '../../protocol/index.js'
import type { AuthLimiter } from './auth-limiter.js'

/** Said to a plain-HTTP client of a pool node (status 401; the client turns it into "requires a shared secret"). */
export const NEEDS_POOL_KEY = 'distw node of a pool: connect with TLS and the pool key (distw pool join CODE)'
/** A connection that sends nothing for this long is closed (it holds a socket for nothing). */
const FIRST_BYTE_TIMEOUT_MS = 10_000

export interface NodeServer {
  /** The server that listens. */
  listener: net.Server
  /** The HTTP(S) server the WebSocket server attaches to. */
  http: HttpServer
  tls: boolean
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void

export function createNodeServer(options: {
  secret: Buffer | undefined
  tls: boolean
  limiter: AuthLimiter
  handler: Handler
}): NodeServer {
  if (!options.tls || options.secret === undefined) {
    const http = createHttpServer(options.handler)
    return { listener: http, http, tls: false }
  }
  const { limiter } = options
  const secure = createHttpsServer(tlsServerOptions(options.secret), options.handler) as unknown as HttpServer
  secure.on('tlsClientError', (error: NodeJS.ErrnoException, socket: TLSSocket) => {
    limiter.failed(socket.remoteAddress ?? '?', `TLS handshake failed (another pool's key?): ${error.code ?? error.message}`)
  })
  const plain = createHttpServer((_req, res) => void res.writeHead(401, { connection: 'close' }).end(`${NEEDS_POOL_KEY}\n`))
  plain.on('upgrade', (_req, socket) => {
    socket.end(`HTTP/1.1 401 Unauthorized\r\nconnection: close\r\ncontent-length: 0\r\nx-distw-refusal: ${NEEDS_POOL_KEY}\r\n\r\n`)
  })
  const listener = net.createServer((socket) => {
    const address = socket.remoteAddress ?? '?'
    if (!limiter.allows(address)) {
      limiter.refused(address, 'too many failed handshakes')
      return void socket.destroy()
    }
    socket.setTimeout(FIRST_BYTE_TIMEOUT_MS, () => socket.destroy())
    socket.on('error', () => socket.destroy())
    // The pattern of httpolyglot: read the first chunk, put it back, hand the socket to the right server.
    socket.once('data', (first: Buffer) => {
      socket.setTimeout(0)
      socket.pause()
      socket.unshift(first)
      ;(first[0] === TLS_HANDSHAKE_BYTE ? secure : plain).emit('connection', socket)
      process.nextTick(() => socket.resume())
    })
  })
  // Closing the listener must also stop the two servers it feeds (idle keep-alive sockets among them).
  listener.on('close', () => {
    secure.closeAllConnections()
    plain.closeAllConnections()
  })
  return { listener, http: secure, tls: true }
}
