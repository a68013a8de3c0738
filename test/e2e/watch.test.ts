// The watch stream against a real in-process daemon running real tasks from two clients.
import { afterEach, describe, expect, it } from 'vitest'
import { startDaemon, type RunningDaemon } from '../../src/daemon/daemon.js'
import { clientName } from '../../src/submit/client-name.js'
import { NodeClient } from '../../src/client/node-client.js'
import { WatchClient, type NodeStateMessage } from '../../src/client/watch-client.js'

let daemon: RunningDaemon | undefined
const closers: (() => void)[] = []
afterEach(async () => {
  for (const close of closers.splice(0)) close()
  await daemon?.close()
  daemon = undefined
})

// Resolves with the first snapshot that satisfies `ok`.
function stateWhere(watcher: WatchClient, ok: (s: NodeStateMessage) => boolean): Promise<NodeStateMessage> {
  return new Promise((resolve) => {
    const listener = (s: NodeStateMessage) => {
      if (!ok(s)) return
      watcher.off('state', listener)
      resolve(s)
    }
    watcher.on('state', listener)
  })
}

// Starts a long task with a progress line from a submitter named `client`; resolves to its exit.
async function startTask(url: string, client: string, name: string) {
  const submitter = await NodeClient.connect(url, { client })
  closers.push(() => submitter.close())
  const lease = await submitter.reserve(1)
  if (!lease) throw new Error('no slot')
  const shell = `echo "::distw::progress 30 working on ${name}"; sleep 30`
  return submitter.run(
    { lease, task: '1', name, command: { shell }, env: {}, files: [], outputs: [] },
    { onOutput: () => {}, onFile: async () => {} },
  )
}

describe('watch stream', () => {
  it('shows running tasks with submitter and progress, and lets a watcher cancel only its own', async () => {
    daemon = await startDaemon({ port: 0, slots: 2, name: 'watched-node' })
    const watcher = await WatchClient.connect(daemon.url, { client: clientName() })
    closers.push(() => watcher.close())
    const first = await stateWhere(watcher, () => true)
    expect(first).toMatchObject({ node: { name: 'watched-node', slots: 2 }, slotsUsed: 0, state: 'idle', running: [] })

    const theirs = startTask(daemon.url, 'someone@elsewhere', 'theirs')
    const ours = startTask(daemon.url, clientName(), 'ours')
    const busy = await stateWhere(watcher, (s) => s.running.length === 2 && s.running.every((t) => t.percent === 30))
    expect(busy.state).toBe('busy')
    expect(busy.slotsUsed).toBe(2)
    const byName = new Map(busy.running.map((t) => [t.name, t]))
    expect(byName.get('theirs')).toMatchObject({ client: 'someone@elsewhere', mine: false, text: 'working on theirs' })
    expect(byName.get('ours')).toMatchObject({ client: clientName(), mine: true, text: 'working on ours' })
    expect(byName.get('ours')?.command).toContain('sleep 30')

    const refused = new Promise<string>((resolve) => watcher.once('notice', resolve))
    watcher.cancel(byName.get('theirs')?.id ?? '')
    expect(await refused).toContain('another client')

    watcher.cancel(byName.get('ours')?.id ?? '')
    const exit = await ours
    expect(exit.signal).toBe('SIGTERM')
    const after = await stateWhere(watcher, (s) => s.recent.length === 1)
    expect(after.running.map((t) => t.name)).toEqual(['theirs'])
    expect(after.recent[0]).toMatchObject({ name: 'ours', ok: false })
    expect(after.failed).toBe(1)
    void theirs.catch(() => {})
  })

  it('throttles snapshots: a task printing thousands of progress lines yields a few states a second', async () => {
    daemon = await startDaemon({ port: 0, slots: 1 })
    const watcher = await WatchClient.connect(daemon.url, { client: 'x@y' })
    closers.push(() => watcher.close())
    await stateWhere(watcher, () => true)
    let states = 0
    watcher.on('state', () => states++)
    const started = performance.now()
    const submitter = await NodeClient.connect(daemon.url, { client: 'x@y' })
    closers.push(() => submitter.close())
    const lease = (await submitter.reserve(1)) as string
    const shell = 'i=0; while [ $i -lt 3000 ]; do echo "::distw::progress $((i / 30)) step $i"; i=$((i+1)); done'
    await submitter.run(
      { lease, task: '1', name: 'chatty', command: { shell }, env: {}, files: [], outputs: [] },
      { onOutput: () => {}, onFile: async () => {} },
    )
    await stateWhere(watcher, (s) => s.succeeded === 1)
    const elapsed = performance.now() - started
    // At most one per 250 ms interval (+ the immediate first, + one for rounding at each end).
    expect(states).toBeLessThanOrEqual(Math.ceil(elapsed / 250) + 3)
    expect(states).toBeGreaterThan(0)
  })

  it('closes a watch connection that tries to reserve slots, and refuses watch from a submitter', async () => {
    daemon = await startDaemon({ port: 0, slots: 1 })
    const watcher = await WatchClient.connect(daemon.url, { client: 'x@y' })
    const lost = new Promise<string>((resolve) => watcher.once('lost', resolve))
    // A watcher has no reserve(); speak through the submitter's client to send it over a watch-role socket.
    void (watcher as unknown as { channel: { send(m: object): Promise<void> } }).channel.send({ type: 'reserve', id: 1, slots: 1 })
    expect(await lost).toMatch(/closed/)

    const submitter = await NodeClient.connect(daemon.url, { client: 'x@y' })
    const closed = new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        if (!submitter.connected) resolve(clearInterval(timer))
      }, 20)
    })
    void (submitter as unknown as { channel: { send(m: object): Promise<void> } }).channel.send({ type: 'watch' })
    await closed
    expect(submitter.lostReason).toMatch(/closed/)
  })
})
