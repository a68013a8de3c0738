// The heartbeat over a real WebSocket: a peer that stops reading (as a vanished machine would) is cut;
// a side that paused reading itself (backpressure) keeps the connection on both ends.
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocket, WebSocketServer } from 'ws'
import { keepAlive } from '../../src/transfer/heartbeat.js'

const open: { close(): void }[] = []
afterEach(() => open.splice(0).forEach((o) => o.close()))

async function pair(): Promise<{ server: WebSocket; client: WebSocket }> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' })
  open.push(wss)
  await new Promise((resolve) => wss.once('listening', resolve))
  const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`)
  open.push({ close: () => client.terminate() })
  const server = await new Promise<WebSocket>((resolve) => wss.once('connection', resolve))
  await new Promise((resolve) => client.once('open', resolve))
  return { server, client }
}

describe('keepAlive', () => {
  it('keeps a live peer connected across many intervals', async () => {
    const { server } = await pair()
    let closed = false
    server.on('close', () => (closed = true))
    keepAlive(server, 200)
    await new Promise((resolve) => setTimeout(resolve, 1000))
    expect(closed).toBe(false)
  })

  it('terminates the connection when the peer stops answering pings', async () => {
    const { server, client } = await pair()
    // The client's socket stops reading: no pong is ever sent, like a machine that lost power.
    ;(client as unknown as { _socket: { pause(): void } })._socket.pause()
    const closed = new Promise<number>((resolve) => server.once('close', (code) => resolve(code)))
    keepAlive(server, 30)
    expect(await closed).toBe(1006)
  })

  it('keeps a connection whose one side paused reading (backpressure), on both sides', async () => {
    const { server, client } = await pair()
    let closed = false
    server.on('close', () => (closed = true))
    client.on('close', () => (closed = true))
    keepAlive(server, 50)
    keepAlive(client, 50)
    // The client holds back reading, as a submitter does while its terminal is slow: it cannot see the
    // server's pongs or pings for many intervals, but it still pings.
    client.pause()
    await new Promise((resolve) => setTimeout(resolve, 600))
    expect(closed).toBe(false)
    client.resume()
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(closed).toBe(false)
  })
})
