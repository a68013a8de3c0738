// Reservations between submitters on a real in-process daemon: a refused submitter is told when
// slots come free (no polling), a lock is exclusive, a lease is kept for its submitter's next task only
// while nobody else waits, an upload keeps its session's unused lease from expiring, and a probe answers
// for the task environment.
import { createHash, randomBytes } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import { startDaemon, type RunningDaemon } from '../../src/daemon/daemon.js'
import { NodeClient } from '../../src/client/node-client.js'
import { rawClient } from '../helpers/raw-client.js'

let daemon: RunningDaemon | undefined
let tokens = 0

// Runs `shell` under `lease` and resolves with its exit message.
function runOn(client: NodeClient, lease: string, shell: string, keep: boolean) {
  const task = `t-${++tokens}`
  return client.run(
    { lease, task, name: task, command: { shell }, env: {}, files: [], outputs: [], keep },
    { onOutput: () => {}, onFile: async () => {} },
  )
}
const clients: NodeClient[] = []
afterEach(async () => {
  clients.splice(0).forEach((c) => c.close())
  await daemon?.close()
  daemon = undefined
})

async function connect(): Promise<NodeClient> {
  const client = await NodeClient.connect(daemon!.url, { client: 'test' })
  clients.push(client)
  return client
}

describe('slot notices', () => {
  it('tells a refused submitter once slots come free, and only it', async () => {
    daemon = await startDaemon({ port: 0, slots: 1 })
    const [a, b, c] = [await connect(), await connect(), await connect()]
    const told: string[] = []
    b.onFree(() => told.push('b'))
    c.onFree(() => told.push('c'))
    a.onFree(() => told.push('a'))

    const lease = await a.reserve(1)
    expect(lease).toBeDefined()
    expect(await b.reserve(1)).toBeUndefined()
    a.release(lease!)
    // A round trip on a proves the node handled the release (and sent its notices); one on b and c
    // then proves whatever notice was sent to them has arrived.
    await a.probe([], [])
    await b.probe([], [])
    await c.probe([], [])
    expect(told).toEqual(['b'])
    expect(await b.reserve(1)).toBeDefined()
  })

  it('refuses a second lease holding the same lock, grants other locks', async () => {
    daemon = await startDaemon({ port: 0, slots: 4 })
    const a = await connect()
    const first = await a.reserve(1, 'gpu')
    expect(first).toBeDefined()
    expect(await a.reserve(1, 'gpu')).toBeUndefined()
    expect(await a.reserve(1, 'disk')).toBeDefined()
    a.release(first!)
    expect(await a.reserve(1, 'gpu')).toBeDefined()
  })

  it('answers a probe for tools on the task PATH and env entries of the task environment', async () => {
    daemon = await startDaemon({ port: 0, slots: 1, name: 'probed-node' })
    const a = await connect()
    const answer = await a.probe(['sh', 'no-such-tool-xyz', '/bin/sh'], ['PATH', 'DISTW_NODE=probed-node', 'DISTW_NODE=other', 'NOPE_VAR'])
    expect(answer).toEqual({ tools: [true, false, false], env: [true, true, false, false] })
  })

  it('keeps a lease for the next task while nobody else waits, and gives it up when someone does', async () => {
    daemon = await startDaemon({ port: 0, slots: 1 })
    const [a, b] = [await connect(), await connect()]
    const lease = (await a.reserve(1))!
    const first = await runOn(a, lease, 'true', true)
    expect(first.kept).toBe(true)
    // The kept lease runs the next task with no reservation, and still holds the only slot.
    const second = runOn(a, lease, 'sleep 0.3', true)
    let told = false
    b.onFree(() => (told = true))
    expect(await b.reserve(1)).toBeUndefined()
    // b now waits: the lease is released at the end of a's task, and b is told.
    expect((await second).kept).toBeUndefined()
    await b.probe([], [])
    expect(told).toBe(true)
    expect(await b.reserve(1)).toBeDefined()
  })

  it('does not free the slot of a lease whose task is still running when that lease is released', async () => {
    daemon = await startDaemon({ port: 0, slots: 1 })
    const [a, b] = [await connect(), await connect()]
    const lease = (await a.reserve(1))!
    const running = runOn(a, lease, 'sleep 0.5', false)
    a.release(lease)
    await a.probe([], [])
    expect(await b.reserve(1)).toBeUndefined()
    expect((await running).exitCode).toBe(0)
    expect(await b.reserve(1)).toBeDefined()
  })

  it('holds a lease past its TTL while its session uploads, and takes it back once the session is idle', async () => {
    daemon = await startDaemon({ port: 0, slots: 1, leaseTtlMs: 300 })
    const client = await rawClient(daemon.url)
    try {
      const data = randomBytes(6 * 64 * 1024)
      const digest = createHash('sha256').update(data).digest('hex')
      await client.send({ type: 'reserve', id: 1, slots: 1 })
      const { lease } = await client.next('reserved')
      await client.send({ type: 'have', id: 2, blobs: [{ digest, size: data.length }] })
      await client.next('need')
      // A slow upload: 6 chunks 100 ms apart, twice the lease's TTL in all.
      for (let offset = 0; offset < data.length; offset += 64 * 1024) {
        await client.send({ type: 'blob', digest, offset, data: data.subarray(offset, offset + 64 * 1024), final: false })
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
      await client.send({ type: 'blob', digest, offset: data.length, data: Buffer.alloc(0), final: true })
      const run = { lease, name: 'uses-upload', command: { shell: 'test -s in.bin' }, env: {}, outputs: [] }
      await client.send({ type: 'run', task: 't-upload', files: [{ path: 'in.bin', digest, mode: 0o644 }], ...run })
      expect(await client.next('exit')).toMatchObject({ task: 't-upload', exitCode: 0 })

      // With nothing sent for longer than the TTL, an unused lease is taken back.
      await client.send({ type: 'reserve', id: 3, slots: 1 })
      const idle = (await client.next('reserved')).lease
      await new Promise((resolve) => setTimeout(resolve, 500))
      await client.send({ type: 'run', task: 't-idle', files: [], ...run, lease: idle, command: { shell: 'true' } })
      expect(await client.next('error')).toMatchObject({ code: 'DISTW_ERR_NO_LEASE', task: 't-idle' })
    } finally {
      client.ws.close()
    }
  })
})
