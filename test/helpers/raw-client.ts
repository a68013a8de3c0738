// A bare protocol client for tests that must send what a well-behaved submitter never would: half
// uploads, blobs whose bytes do not match their digest. It speaks real frames over a real socket.
import { WebSocket } from 'ws'
import { decodeFrames, encodeFrame, newNonce, type Message, type Outgoing } from '../../src/protocol/index.js'

export interface RawClient {
  ws: WebSocket
  send(message: Outgoing): Promise<void>
  /** The next message of this type (earlier ones of other types are dropped). */
  next<T extends Message['type']>(type: T): Promise<Extract<Message, { type: T }>>
  closed: Promise<number>
}

/** Connects and completes the handshake with a node that has no secret. */
export async function rawClient(url: string): Promise<RawClient> {
  const ws = new WebSocket(url, { perMessageDeflate: false })
  const inbox: Message[] = []
  const waiters: (() => void)[] = []
  ws.on('message', (data) => {
    inbox.push(...decodeFrames(data as Buffer))
    for (const wake of waiters.splice(0)) wake()
  })
  let isClosed = false
  const closed = new Promise<number>((resolve) =>
    ws.once('close', (code) => {
      isClosed = true
      for (const wake of waiters.splice(0)) wake()
      resolve(code)
    }),
  )
  ws.on('error', () => {})
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve())
    ws.once('error', reject)
  })
  const client: RawClient = {
    ws,
    closed,
    send: (message) => new Promise((resolve, reject) => ws.send(encodeFrame(message), (e) => (e ? reject(e) : resolve()))),
    async next(type) {
      for (;;) {
        const index = inbox.findIndex((m) => m.type === type)
        if (index >= 0) return inbox.splice(index, 1)[0] as never
        if (isClosed) throw new Error(`connection closed while waiting for ${type}`)
        await new Promise<void>((resolve) => waiters.push(resolve))
      }
    },
  }
  await client.send({ type: 'hello', role: 'submit', client: 'raw-test', nonce: newNonce() })
  await client.next('challenge')
  await client.send({ type: 'auth', proof: Buffer.alloc(0) })
  await client.next('welcome')
  return client
}
