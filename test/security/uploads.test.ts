// Unfinished uploads are bounded per connection and per node, in count and bytes: a connection that
// starts uploads and never finishes them (each holds an open file) is refused with
// DISTW_ERR_UPLOAD_LIMIT, and the node keeps descriptors to accept other clients.
import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import { describe, expect, it } from 'vitest'
import { defaultUploadLimits, FD_RESERVE, MAX_UPLOADS_PER_CONNECTION } from '../../src/daemon/blobs/upload-limits.js'
import type { WebSocket } from 'ws'
import { authenticated, framesUntilClose, node, send, stillServes } from './harness.js'

const openFds = (): number => fs.readdirSync('/proc/self/fd').length

// Starts `n` uploads of one byte each and never finishes them.
function startUploads(ws: WebSocket, n: number, bytes = 1): void {
  for (let i = 0; i < n; i++)
    send(ws, { type: 'blob', digest: randomBytes(32).toString('hex'), offset: 0, data: Buffer.alloc(bytes), final: false })
}

describe('unfinished uploads', { timeout: 60_000 }, () => {
  it('refuses a connection that leaves more than the bound unfinished, and keeps serving', async () => {
    const d = await node()
    const before = openFds()
    const ws = await authenticated(d.url)
    const seen = framesUntilClose(ws)
    startUploads(ws, 2000)
    const { frames, code } = await seen
    expect(frames.find((f) => f.type === 'error')).toMatchObject({ code: 'DISTW_ERR_UPLOAD_LIMIT' })
    expect(code).toBe(4429)
    // The half uploads' files are closed with the connection (this process holds the in-process node).
    expect(openFds() - before).toBeLessThan(MAX_UPLOADS_PER_CONNECTION + 16)
    await stillServes(d)
  })

  it('bounds the node as a whole, and bytes as well as count', async () => {
    const d = await node({ uploadLimits: { perConnection: 8, perNode: 12, bytesPerConnection: 4096, bytesPerNode: 6000 } })
    const first = await authenticated(d.url)
    const firstSeen = framesUntilClose(first, 3000)
    startUploads(first, 8)
    const second = await authenticated(d.url)
    const seen = framesUntilClose(second)
    startUploads(second, 8)
    const refused = await seen
    expect(refused.frames.find((f) => f.type === 'error')?.message).toMatch(/the node has 12 uploads unfinished; at most 12/)
    expect((await firstSeen).code).toBe(-1) // the first, within its bounds, is still connected
    // Bytes: 4,000 in one connection's unfinished uploads is within its bound; 100 more is past the node's.
    const third = await authenticated(d.url)
    const thirdSeen = framesUntilClose(third)
    startUploads(third, 1, 4000)
    startUploads(third, 1, 100)
    expect((await thirdSeen).frames.find((f) => f.type === 'error')).toMatchObject({ code: 'DISTW_ERR_UPLOAD_LIMIT' })
    first.close()
    await stillServes(d)
  })

  it('keeps a reserve of file descriptors from uploads', () => {
    const soft = Number(/^Max open files\s+(\d+)/m.exec(fs.readFileSync('/proc/self/limits', 'utf8'))?.[1])
    const limits = defaultUploadLimits(10 * 2 ** 30)
    expect(limits.perNode).toBeLessThanOrEqual(Math.max(16, (soft - FD_RESERVE) / 2))
    expect(limits.perConnection).toBeLessThanOrEqual(limits.perNode)
    expect(limits.bytesPerNode).toBe(10 * 2 ** 30)
  })
})
