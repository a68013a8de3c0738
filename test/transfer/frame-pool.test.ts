// Bulk chunks are encoded into pooled buffers (transfer/frame-pool.ts). The frames must be the same
// messages as encodeFrame's, and a buffer must not be reused while its socket still holds it.
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocket, WebSocketServer } from 'ws'
import { CHUNK_BYTES, decodeFrame, encodeChunkFrameInto, encodeFrame, MAX_FRAME_BYTES, type Message } from '../../src/protocol/index.js'
import { Channel } from '../../src/transfer/channel.js'
import { FramePool } from '../../src/transfer/frame-pool.js'

const servers: WebSocketServer[] = []
afterEach(async () => {
  for (const server of servers.splice(0)) {
    for (const client of server.clients) client.terminate()
    await new Promise((resolve) => server.close(resolve))
  }
})

describe('chunk frames in reused buffers', () => {
  it('encodes the same messages as encodeFrame, at every bin length boundary', () => {
    const into = Buffer.alloc(CHUNK_BYTES + 64 * 1024)
    for (const size of [0, 1, 255, 256, 65_535, 65_536, CHUNK_BYTES]) {
      const data = Buffer.alloc(size, size % 251)
      const messages = [
        { type: 'blob', digest: 'a'.repeat(64), offset: 3 * CHUNK_BYTES, data, final: false },
        { type: 'file', task: 't-7', path: 'out/ü.bin', mode: 0o644, offset: 0, data, final: true },
        { type: 'output', task: 't-7', stream: 'stderr', data },
      ] as const
      for (const message of messages) {
        const frame = encodeChunkFrameInto(message, into)
        expect(frame?.buffer).toBe(into.buffer)
        // Compared apart: vitest's toEqual walks a 1 MiB buffer byte by byte, for seconds.
        const { data: got, ...gotRest } = decodeFrame(frame as Buffer) as Message & { data: Buffer }
        const { data: want, ...wantRest } = decodeFrame(encodeFrame(message)) as Message & { data: Buffer }
        expect(gotRest).toEqual(wantRest)
        expect(got.equals(want)).toBe(true)
      }
    }
  })

  it('gives up, so the caller encodes as usual, when the frame does not fit', () => {
    const data = Buffer.alloc(1000)
    expect(encodeChunkFrameInto({ type: 'output', task: 't', stream: 'stdout', data }, Buffer.alloc(1000))).toBeUndefined()
    const huge = Buffer.alloc(MAX_FRAME_BYTES)
    expect(
      encodeChunkFrameInto({ type: 'output', task: 't', stream: 'stdout', data: huge }, Buffer.alloc(2 * MAX_FRAME_BYTES)),
    ).toBeUndefined()
  })

  it('lends at most its bound of buffers and hands back the ones given back', () => {
    const pool = new FramePool(16, 2)
    const a = pool.take()
    const b = pool.take()
    expect(a && b && a !== b).toBe(true)
    expect(pool.take()).toBeUndefined()
    pool.give(a as Buffer)
    expect(pool.take()).toBe(a)
  })

  it('reuses a buffer only after the socket wrote it: chunks queued behind a paused reader arrive intact', async () => {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false, maxPayload: MAX_FRAME_BYTES })
    servers.push(server)
    await once(server, 'listening')
    const accepted = once(server, 'connection') as Promise<[WebSocket]>
    const client = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`, {
      perMessageDeflate: false,
      maxPayload: MAX_FRAME_BYTES,
    })
    await once(client, 'open')
    const [socket] = await accepted
    const sender = new Channel(socket)
    // The reader is paused, so the socket holds the frames until it resumes; 24 chunks are more than
    // the pool lends (the rest take fresh memory) and more than the kernel buffers on loopback.
    client.pause()
    const chunks = 24
    const sent = Array.from({ length: chunks }, (_, i) =>
      sender.send({
        type: 'file',
        task: 't',
        path: 'f',
        mode: 0o644,
        offset: i * CHUNK_BYTES,
        data: Buffer.alloc(CHUNK_BYTES, i),
        final: false,
      }),
    )
    const received: Message[] = []
    const all = new Promise<void>((resolve) =>
      client.on('message', (data) => {
        received.push(decodeFrame(data as Buffer))
        if (received.length === chunks) resolve()
      }),
    )
    client.resume()
    await Promise.all([all, ...sent])
    received.forEach((message, i) => {
      if (message.type !== 'file') throw new Error(`unexpected ${message.type}`)
      expect(message.offset).toBe(i * CHUNK_BYTES)
      expect(message.data.every((byte) => byte === i)).toBe(true)
    })
    client.close()
  })
})
