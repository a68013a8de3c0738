// Channel.sendSoon over a real WebSocket: held frames keep their place before any frame sent after them,
// leave together, and a frame held alone still arrives (after a moment), or before the channel closes.
import { afterEach, describe, expect, it } from 'vitest'
import type { Message } from '../../src/protocol/index.js'
import { Channel } from '../../src/transfer/channel.js'
import { wsPair } from '../helpers/ws-pair.js'

const open: { close(): void }[] = []
afterEach(() => open.splice(0).forEach((o) => o.close()))

async function pair(): Promise<{ sender: Channel; received: string[]; next: (n: number) => Promise<string[]> }> {
  const { server, client } = await wsPair(open)
  const received: string[] = []
  const waiters: (() => void)[] = []
  new Channel(client).onMessage((m: Message) => {
    if (m.type === 'cancel') received.push(m.task)
    waiters.splice(0).forEach((w) => w())
  })
  const next = async (n: number): Promise<string[]> => {
    while (received.length < n) await new Promise<void>((resolve) => waiters.push(resolve))
    return received
  }
  return { sender: new Channel(server), received, next }
}

describe('Channel.sendSoon', () => {
  it('keeps held frames ahead of any frame sent after them', async () => {
    const { sender, next } = await pair()
    sender.sendSoon({ type: 'cancel', task: 'a' })
    sender.sendSoon({ type: 'cancel', task: 'b' })
    void sender.send({ type: 'cancel', task: 'c' })
    sender.sendSoon({ type: 'cancel', task: 'd' })
    void sender.send({ type: 'cancel', task: 'e' })
    expect(await next(5)).toEqual(['a', 'b', 'c', 'd', 'e'])
  })

  it('sends a frame held alone after a moment', async () => {
    const { sender, next } = await pair()
    sender.sendSoon({ type: 'cancel', task: 'alone' })
    expect(await next(1)).toEqual(['alone'])
  })

  it('sends what it holds before it closes', async () => {
    const { sender, next } = await pair()
    sender.sendSoon({ type: 'cancel', task: 'last' })
    sender.close(1000, 'done')
    expect(await next(1)).toEqual(['last'])
  })
})
