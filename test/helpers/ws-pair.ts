// Two ends of a real WebSocket on loopback (port 0): the server's side and the client's, both open.
// What each test opened goes into `open`, for its afterEach to close.
import type { AddressInfo } from 'node:net'
import { WebSocket, WebSocketServer } from 'ws'

export async function wsPair(open: { close(): void }[]): Promise<{ server: WebSocket; client: WebSocket }> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' })
  open.push(wss)
  await new Promise((resolve) => wss.once('listening', resolve))
  const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`)
  open.push({ close: () => client.terminate() })
  const server = await new Promise<WebSocket>((resolve) => wss.once('connection', resolve))
  await new Promise((resolve) => client.once('open', resolve))
  return { server, client }
}
