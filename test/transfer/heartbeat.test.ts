// The heartbeat over a real WebSocket: a peer that stops reading (as a vanished machine would) is cut;
// a side that paused reading itself (backpressure) keeps the connection on both ends.
import { afterEach, describe, expect, it } from 'vitest'
import { wsPair } from '../helpers/ws-pair.js'
import { keepAlive } from '../../src/transfer/heartbeat.js'

const open: { close(): void }[] = []
afterEach(() => open.splice(0).forEach((o) => o.close()))

const pair = (): ReturnType<typeof wsPair> => wsPair(open)

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
