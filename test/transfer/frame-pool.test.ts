// Bulk chunks are encoded into pooled buffers (transfer/frame-pool.ts), an upload's read straight into
// them, and written to the socket whole (transfer/ws-frame.ts). The frames must be the same messages as
// encodeFrame's, both ways, and a buffer must not be reused while its socket still holds it.
import { once } from 'node:events'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocket, WebSocketServer } from 'ws'
import { CHUNK_BYTES, decodeFrame, encodeChunkFrameAt, encodeFrame, MAX_FRAME_BYTES, type Message } from '../../src/protocol/index.js'
import { Channel } from '../../src/transfer/channel.js'
import { FRAME_HEADROOM, FramePool, framePool, frameChunks } from '../../src/transfer/frame-pool.js'
import { fileChunks } from '../../src/transfer/chunks.js'

const servers: WebSocketServer[] = []
afterEach(async () => {
  for (const server of servers.splice(0)) {
    for (const client of server.clients) client.terminate()
    await new Promise((resolve) => server.close(resolve))
  }
})

// A ws client connected to a ws server of this process (the server's side of it is `socket`).
async function connected(): Promise<{ client: WebSocket; socket: WebSocket }> {
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
  return { client, socket }
}

describe('chunk frames in reused buffers', () => {
  it('encodes the same messages as encodeFrame, at every bin length boundary', () => {
    const into = Buffer.alloc(FRAME_HEADROOM + CHUNK_BYTES)
    for (const size of [0, 1, 255, 256, 65_535, 65_536, CHUNK_BYTES]) {
      const data = Buffer.alloc(size, size % 251)
      const messages = [
        { type: 'blob', digest: 'a'.repeat(64), offset: 3 * CHUNK_BYTES, data, final: false },
        { type: 'file', task: 't-7', path: 'out/ü.bin', mode: 0o644, offset: 0, data, final: true },
        { type: 'output', task: 't-7', stream: 'stderr', data },
      ] as const
      for (const message of messages) {
        const frame = encodeChunkFrameAt(message, into, FRAME_HEADROOM)
        expect(frame?.buffer).toBe(into.buffer)
        expect(frame && frame.byteOffset + frame.length).toBe(into.byteOffset + FRAME_HEADROOM + size)
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
    expect(encodeChunkFrameAt({ type: 'output', task: 't', stream: 'stdout', data }, Buffer.alloc(1000), 100)).toBeUndefined()
    // No room for the envelope before the chunk's place.
    expect(encodeChunkFrameAt({ type: 'output', task: 't', stream: 'stdout', data }, Buffer.alloc(2000), 10)).toBeUndefined()
    const huge = Buffer.alloc(MAX_FRAME_BYTES)
    expect(
      encodeChunkFrameAt({ type: 'output', task: 't', stream: 'stdout', data: huge }, Buffer.alloc(2 * MAX_FRAME_BYTES), 1000),
    ).toBeUndefined()
  })

  it('lends at most its bound of buffers and hands back the ones given back', () => {
    const pool = new FramePool(FRAME_HEADROOM + 16, 2)
    const a = pool.take()
    const b = pool.take()
    expect(a && b && a !== b).toBe(true)
    expect(pool.take()).toBeUndefined()
    pool.give(a as Buffer)
    expect(pool.take()).toBe(a)
    // A chunk read at a frame's place is known by the pool; anything else is not.
    expect(pool.holding((a as Buffer).subarray(FRAME_HEADROOM))).toBe(a)
    expect(pool.holding((a as Buffer).subarray(0, 10))).toBeUndefined()
    expect(pool.holding(Buffer.alloc(16))).toBeUndefined()
  })

  it('sends a file read straight into frame buffers, both ways, plain frames as ws reads them', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'distw-frames-'))
    try {
      // Not a whole number of chunks: the last one is small, encoded as usual, its pooled buffer given back.
      const file = path.join(dir, 'in.bin')
      const bytes = Buffer.alloc(5 * CHUNK_BYTES + 1234)
      for (let i = 0; i < bytes.length; i += 4096) bytes[i] = (i / 4096) % 251
      await fs.writeFile(file, bytes)
      const { client, socket } = await connected()
      // Client to server (masked, a zero key) and server to client (unmasked), as an upload and a return.
      for (const [from, to] of [
        [client, socket],
        [socket, client],
      ] as const) {
        const channel = new Channel(from)
        const received: Buffer[] = []
        to.on('message', (data) => {
          const message = decodeFrame(data as Buffer)
          if (message.type === 'blob') received.push(Buffer.from(message.data))
        })
        let offset = 0
        for await (const data of fileChunks(file, 'r', frameChunks)) {
          await channel.send({ type: 'blob', digest: 'a'.repeat(64), offset, data, final: false })
          offset += data.length
        }
        while (Buffer.concat(received).length < bytes.length) await new Promise((r) => setTimeout(r, 10))
        expect(Buffer.concat(received).equals(bytes)).toBe(true)
        to.removeAllListeners('message')
      }
      // Every pooled buffer came back: the pool lends its whole bound again.
      const lent = Array.from({ length: 8 }, () => framePool.take())
      expect(lent.every((b) => b !== undefined)).toBe(true)
      for (const b of lent) framePool.give(b as Buffer)
      client.close()
    } finally {
      await fs.rm(dir, { recursive: true, force: true })
    }
  })

  it('reuses a buffer only after the socket wrote it: chunks queued behind a paused reader arrive intact', async () => {
    const { client, socket } = await connected()
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
