// Pipelining on a real in-process daemon: a `run` sent with `queue` behind a lease's running task starts
// on that lease the moment the task ends and the lease is kept (several wait in order), and is answered
// NO_LEASE whenever it cannot have the lease: someone else waits, it (or a run ahead of it) was cancelled,
// the lease runs nothing of ours, or MAX_QUEUED_PER_LEASE runs already wait.
import { afterEach, describe, expect, it } from 'vitest'
import { startDaemon, type RunningDaemon } from '../../src/daemon/daemon.js'
import { LeaseNotHeld, NodeClient } from '../../src/client/node-client.js'
import { snapshotNodes } from '../../src/watch/snapshot.js'
import { MAX_QUEUED_PER_LEASE } from '../../src/protocol/index.js'

let daemon: RunningDaemon | undefined
const events: { event: string; fields: Record<string, unknown> | undefined }[] = []
const clients: NodeClient[] = []
let tokens = 0

afterEach(async () => {
  clients.splice(0).forEach((c) => c.close())
  await daemon?.close()
  daemon = undefined
  events.length = 0
})

async function start(): Promise<void> {
  daemon = await startDaemon({ port: 0, slots: 1, log: (event, fields) => events.push({ event, fields }) })
}

async function connect(): Promise<NodeClient> {
  const client = await NodeClient.connect(daemon!.url, { client: 'test' })
  clients.push(client)
  return client
}

function runOn(client: NodeClient, lease: string, shell: string, options: { keep?: boolean; queue?: boolean } = {}) {
  const task = `t-${++tokens}`
  const exit = client.run(
    { lease, task, name: task, command: { shell }, env: {}, files: [], outputs: [], ...options },
    { onOutput: () => {}, onFile: async () => {} },
  )
  return { task, exit }
}

// What `distw status` would show: the node's count of runs waiting behind running ones.
async function queuedShown(): Promise<number | undefined> {
  const [snap] = await snapshotNodes([daemon!.url.replace('ws://', '')], { client: 'monitor' })
  if (!snap?.reachable) throw new Error('node not reachable')
  return snap.state.queued
}

const startedFromQueue = () => events.filter((e) => e.event === 'task started' && e.fields?.['queued'] === true)

describe('a run queued behind its lease', () => {
  it('starts on the kept lease when the running task ends', async () => {
    await start()
    const a = await connect()
    const lease = (await a.reserve(1))!
    const first = runOn(a, lease, 'sleep 0.5', { keep: true })
    const queued = Array.from({ length: MAX_QUEUED_PER_LEASE }, (_, i) =>
      runOn(a, lease, `echo ${i} > out.txt`, { keep: true, queue: true }),
    )
    // MAX_QUEUED_PER_LEASE runs wait per lease: one more is refused at once, and the others are untouched.
    const extra = runOn(a, lease, 'true', { queue: true })
    await expect(extra.exit).rejects.toBeInstanceOf(LeaseNotHeld)
    expect(await queuedShown()).toBe(MAX_QUEUED_PER_LEASE)

    expect(await first.exit).toMatchObject({ exitCode: 0, kept: true })
    for (const run of queued) expect(await run.exit).toMatchObject({ exitCode: 0, kept: true })
    // In the order they were sent, each on the lease the one before it kept.
    expect(startedFromQueue().map((e) => e.fields?.['task'])).toEqual(queued.map((r) => r.task))
    expect(await queuedShown()).toBeUndefined()
    // The lease is the submitter's again, unused: a plain run on it works.
    expect((await runOn(a, lease, 'true').exit).exitCode).toBe(0)
  })

  it('is refused when another submitter waits for the slot, which then gets it', async () => {
    await start()
    const [a, b] = [await connect(), await connect()]
    const lease = (await a.reserve(1))!
    const first = runOn(a, lease, 'sleep 0.3', { keep: true })
    const second = runOn(a, lease, 'true', { keep: true, queue: true })
    let told = false
    b.onFree(() => (told = true))
    expect(await b.reserve(1)).toBeUndefined()

    expect((await first.exit).kept).toBeUndefined()
    await expect(second.exit).rejects.toBeInstanceOf(LeaseNotHeld)
    await b.probe([], [])
    expect(told).toBe(true)
    expect(await b.reserve(1)).toBeDefined()
    expect(startedFromQueue()).toHaveLength(0)
  })

  it('is withdrawn by a cancel before it starts, with the runs queued behind it; the running task keeps its lease', async () => {
    await start()
    const a = await connect()
    const lease = (await a.reserve(1))!
    const first = runOn(a, lease, 'sleep 0.3', { keep: true })
    const second = runOn(a, lease, 'touch never-run', { keep: true, queue: true })
    const third = runOn(a, lease, 'touch never-run-either', { queue: true })
    await a.probe([], []) // the queued runs have arrived
    a.cancel(second.task)
    await expect(second.exit).rejects.toThrow(/cancelled while it waited/)
    await expect(third.exit).rejects.toThrow(/queued before it .* was cancelled/)
    expect(await queuedShown()).toBeUndefined()
    expect(await first.exit).toMatchObject({ exitCode: 0, kept: true })
    expect(events.some((e) => e.event === 'queued task withdrawn')).toBe(true)
    expect(startedFromQueue()).toHaveLength(0)
  })

  it('runs at once on a lease that runs nothing, and is refused on a lease that is not ours', async () => {
    await start()
    const [a, b] = [await connect(), await connect()]
    const lease = (await a.reserve(1))!
    await expect(runOn(b, lease, 'true', { queue: true }).exit).rejects.toBeInstanceOf(LeaseNotHeld)
    expect((await runOn(a, lease, 'true', { queue: true }).exit).exitCode).toBe(0)
  })

  it('is dropped with its connection, and the node goes on', async () => {
    await start()
    const a = await connect()
    const lease = (await a.reserve(1))!
    runOn(a, lease, 'sleep 0.2', { keep: true }).exit.catch(() => {})
    runOn(a, lease, 'true', { queue: true }).exit.catch(() => {})
    await a.probe([], [])
    a.close()
    // The running task is killed after the submitter grace (none here) and its slot comes free.
    const b = await connect()
    let lease2: string | undefined
    for (let i = 0; i < 50 && lease2 === undefined; i++) {
      lease2 = await b.reserve(1)
      if (lease2 === undefined) await new Promise((resolve) => setTimeout(resolve, 50))
    }
    expect(lease2).toBeDefined()
    expect((await runOn(b, lease2!, 'true').exit).exitCode).toBe(0)
    expect(startedFromQueue()).toHaveLength(0)
  })
})
