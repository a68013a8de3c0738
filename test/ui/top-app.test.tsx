// TopApp with its data hook against a real in-process daemon: the node appears, its task's progress
// appears, and when the daemon goes away the node is shown as lost; with no --peer, discovery finds nodes.
import { render } from 'ink-testing-library'
import { afterEach, describe, expect, it } from 'vitest'
import { startDaemon, type RunningDaemon } from '../../src/daemon/daemon.js'
import { NodeClient } from '../../src/client/node-client.js'
import { discoveredNodes, staticPeers } from '../../src/ui/top/node-source.js'
import { TopApp } from '../../src/ui/top/TopApp.js'

const strip = (text: string | undefined) => (text ?? '').replace(/\x1b\[[0-9;]*m/g, '')

let daemon: RunningDaemon | undefined
const cleanups: (() => void)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0)) c()
  await daemon?.close()
  daemon = undefined
})

// Polls the last frame until `ok` holds; returns it either way.
async function frameUntil(lastFrame: () => string | undefined, ok: (frame: string) => boolean): Promise<string> {
  let frame = ''
  for (let i = 0; i < 300; i++) {
    frame = strip(lastFrame())
    if (ok(frame)) break
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return frame
}

describe('TopApp', () => {
  it('shows a real node and its task progress, then the node as lost when it goes away', async () => {
    daemon = await startDaemon({ port: 0, slots: 2, name: 'app-node' })
    const peer = `127.0.0.1:${daemon.port}`
    const submitter = await NodeClient.connect(daemon.url, { client: 'someone@else' })
    cleanups.push(() => submitter.close())
    const lease = (await submitter.reserve(1)) as string
    const shell = 'echo "::distw::progress 70 rendering"; sleep 60'
    void submitter
      .run(
        { lease, task: '1', name: 'render-1', command: { shell }, env: {}, files: [], outputs: [] },
        { onOutput: () => {}, onFile: async () => {} },
      )
      .catch(() => {})

    const app = render(<TopApp source={staticPeers([peer])} options={{ client: 'me@here', intervalMs: 50, retryMs: 200 }} />)
    cleanups.push(() => app.unmount())
    const running = await frameUntil(app.lastFrame, (f) => f.includes('70% rendering'))
    expect(running).toMatch(/app-node .*1\/2 .*busy/)
    expect(running).toMatch(/ {2}render-1 +app-node .*70% rendering/)

    // Not ours: c is refused in the UI without asking the node.
    app.stdin.write('\t')
    await new Promise((resolve) => setTimeout(resolve, 100))
    app.stdin.write('c')
    expect(await frameUntil(app.lastFrame, (f) => f.includes('submitted by someone@else'))).toContain('you can cancel only your own tasks')

    await daemon.close()
    daemon = undefined
    const lost = await frameUntil(app.lastFrame, (f) => /app-node .*lost/.test(f))
    expect(lost).toMatch(/app-node .*lost/)
    expect(lost).toContain('nodes 0/1 up')
    expect(lost).toContain('no task running')
  })

  it('with no --peer, shows the nodes discovery finds and drops one that goes silent', async () => {
    daemon = await startDaemon({ port: 0, slots: 1, name: 'found-node', announce: { mdns: false, broadcast: true } })
    // Broadcast probes only, to this test's own daemon port: nothing else on the machine answers.
    const source = discoveredNodes({ mdns: false, broadcast: true, port: daemon.port, intervalMs: 200, staleMs: 800 })
    const app = render(<TopApp source={source} options={{ client: 'me@here', intervalMs: 50, retryMs: 200 }} />)
    cleanups.push(() => app.unmount())
    expect(await frameUntil(app.lastFrame, (f) => /found-node .*idle/.test(f))).toMatch(/found-node .*0\/1 .*idle/)
    await daemon.close()
    daemon = undefined
    expect(await frameUntil(app.lastFrame, (f) => !f.includes('found-node'))).not.toContain('found-node')
  })
})

describe('TopApp keys', () => {
  it('the selection follows its task when rows re-sort, and c asks before it cancels', async () => {
    daemon = await startDaemon({ port: 0, slots: 3, name: 'key-node' })
    const me = 'me@here'
    const submitter = await NodeClient.connect(daemon.url, { client: me })
    cleanups.push(() => submitter.close())
    const ended = new Map<string, Promise<unknown>>()
    // Started one after the other: rows sort by elapsed time, oldest first (t-a, t-b, t-c).
    for (const name of ['t-a', 't-b', 't-c']) {
      const lease = (await submitter.reserve(1)) as string
      const run = submitter.run(
        { lease, task: name, name, command: { shell: 'sleep 60' }, env: {}, files: [], outputs: [] },
        { onOutput: () => {}, onFile: async () => {} },
      )
      ended.set(
        name,
        run.catch(() => {}),
      )
      await new Promise((resolve) => setTimeout(resolve, 300))
    }
    const app = render(<TopApp source={staticPeers([`127.0.0.1:${daemon.port}`])} options={{ client: me, intervalMs: 50, retryMs: 200 }} />)
    cleanups.push(() => app.unmount())
    const rows = await frameUntil(app.lastFrame, (f) => f.includes('t-a') && f.includes('t-b') && f.includes('t-c'))
    expect(rows.indexOf('t-a')).toBeLessThan(rows.indexOf('t-b'))
    const key = async (k: string) => {
      app.stdin.write(k)
      await new Promise((resolve) => setTimeout(resolve, 150))
    }
    await key('\t')
    await key('\u001B[B') // down: t-b
    // t-a ends: t-b is now the first row, t-c the second (where the selection's index points).
    submitter.cancel('t-a')
    await ended.get('t-a')
    await frameUntil(app.lastFrame, (f) => !f.includes('t-a'))
    await key('\r')
    expect(await frameUntil(app.lastFrame, (f) => f.includes('output tail:'))).toMatch(/t-b on key-node/)
    await key('\r')

    // c asks; any key but y keeps the task.
    await key('c')
    expect(await frameUntil(app.lastFrame, (f) => f.includes('y to cancel'))).toContain('cancel t-b on key-node? y to cancel')
    await key('n')
    expect(await frameUntil(app.lastFrame, (f) => f.includes('not cancelled'))).toContain('t-b not cancelled')
    expect(strip(app.lastFrame())).toContain('t-b')
    await key('c')
    await key('y')
    expect(await frameUntil(app.lastFrame, (f) => f.includes('cancel sent'))).toContain('cancel sent for t-b')
    await ended.get('t-b')
    // Its row is gone (the footer still says the cancel was sent).
    const after = await frameUntil(app.lastFrame, (f) => !/t-b +key-node/.test(f))
    expect(after).toMatch(/t-c +key-node/)
    expect(after).not.toMatch(/t-b +key-node/)
  }, 60_000)
})
