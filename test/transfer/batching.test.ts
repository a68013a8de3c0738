// Channel batching (protocol 5) over a real WebSocket: messages sent in one turn leave as one frame, in
// order, a lone message as a plain map at once, larger frames alone in their place; a sender past the high-
// water mark waits for its batch to be written; what a turn batched still leaves before the channel closes.
import { afterEach, describe, expect, it } from 'vitest'
import type { WebSocket } from 'ws'
import { decodeFrames, type Message } from '../../src/protocol/index.js'
import { Channel } from '../../src/transfer/channel.js'
import { wsPair } from '../helpers/ws-pair.js'

const open: { close(): void }[] = []
afterEach(() => open.splice(0).forEach((o) => o.close()))

/** A sending Channel and, on the raw peer socket, every frame as the list of messages it held. */
async function pair(): Promise<{ sender: Channel; client: WebSocket; frames: Message[][]; next: (n: number) => Promise<Message[][]> }> {
  const { server, client } = await wsPair(open)
  const frames: Message[][] = []
  const waiters: (() => void)[] = []
  client.on('message', (data) => {
    frames.push(decodeFrames(data as Buffer))
    waiters.splice(0).forEach((w) => w())
  })
  const next = async (n: number): Promise<Message[][]> => {
    while (frames.flat().length < n) await new Promise<void>((resolve) => waiters.push(resolve))
    return frames
  }
  return { sender: new Channel(server), client, frames, next }
}

const tasks = (frames: Message[][]): string[][] => frames.map((f) => f.map((m) => ('task' in m ? String(m.task) : m.type)))

describe('Channel batching', () => {
  it('sends the messages of one turn as one frame, in order, and a later turn in a frame of its own', async () => {
    const { sender, next } = await pair()
    for (const task of ['a', 'b', 'c']) void sender.send({ type: 'cancel', task })
    await new Promise((resolve) => setImmediate(resolve))
    void sender.send({ type: 'cancel', task: 'd' })
    expect(tasks(await next(4))).toEqual([['a', 'b', 'c'], ['d']])
  })

  it('splits a turn at MAX_MESSAGES_PER_FRAME and sends a larger message alone, in its place', async () => {
    const { sender, next } = await pair()
    for (let i = 0; i < 70; i++) void sender.send({ type: 'cancel', task: String(i) })
    void sender.send({ type: 'output', task: 'bulk', stream: 'stdout', data: Buffer.alloc(64 * 1024, 1) })
    void sender.send({ type: 'cancel', task: 'after' })
    const frames = tasks(await next(72))
    expect(frames.map((f) => f.length)).toEqual([64, 6, 1, 1])
    expect(frames.flat()).toEqual([...Array.from({ length: 70 }, (_, i) => String(i)), 'bulk', 'after'])
  })

  it('makes a sender past the high-water mark wait until its batch is written', async () => {
    const { sender, client, next } = await pair()
    // The reader is paused: the kernel's buffers fill, then the socket's, then the sender must wait.
    client.pause()
    const data = Buffer.alloc(7 * 1024, 2)
    const sends: Promise<void>[] = []
    while (!sender.congested && sends.length < 10_000) sends.push(sender.send({ type: 'output', task: 't', stream: 'stdout', data }))
    expect(sender.congested).toBe(true)
    let resolved = false
    void sends.at(-1)?.then(() => (resolved = true))
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(resolved).toBe(false)
    client.resume()
    await Promise.all(sends)
    expect((await next(sends.length)).flat()).toHaveLength(sends.length)
  })

  it('sends what the turn batched before it closes, the error frame of a failure included', async () => {
    const { sender, next } = await pair()
    void sender.send({ type: 'cancel', task: 'last' })
    sender.fail(new (await import('../../src/protocol/index.js')).ProtocolError('DISTW_ERR_UNEXPECTED', 'test'))
    const frames = await next(2)
    expect(frames.flat().map((m) => m.type)).toEqual(['cancel', 'error'])
  })
})
