// A node whose connection is lost is dialled again: after a network blip (a proxy's connections cut)
// and after its daemon was restarted at the same address, the batch completes on it; a node that
// stays away fails the tasks that had no other node once --reconnect runs out.
import fs from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import type { NodeInfo } from '../../src/protocol/index.js'
import { MAX_LOST_RUNS } from '../../src/submit/scheduler.js'
import { submit } from '../../src/submit/submit.js'
import { distw, spawnDaemon, tempDir } from '../helpers/cli.js'
import { tcpProxy } from '../helpers/tcp-proxy.js'
import { until } from '../helpers/wait.js'

const tasks = (n: number, run: (i: number) => string) =>
  Array.from({ length: n }, (_, i) => JSON.stringify({ name: `t${i}`, run: run(i) })).join('\n')

// `distw submit` on one node behind a proxy that, once the first task runs, refuses every connection.
async function loseOnlyNode(name: string, reconnect: string) {
  const node = await spawnDaemon(['--slots', '1', '--name', name])
  const proxy = await tcpProxy(node.peer)
  const dir = await tempDir()
  await fs.writeFile(
    path.join(dir, 'tasks.txt'),
    tasks(3, () => 'sleep 0.3'),
  )
  const run = distw(['submit', 'tasks.txt', '--peer', proxy.peer, '--reconnect', reconnect], { cwd: dir })
  await until(() => node.log().includes('task started'), 'the first task to start')
  const cutAt = Date.now()
  proxy.refuse()
  const result = await run
  return { result, waitedMs: Date.now() - cutAt }
}

describe('reconnecting to a lost node', () => {
  it('a network blip: the same daemon is connected again and runs the rest; the cut task runs again', async () => {
    const node = await spawnDaemon(['--slots', '1', '--name', 'wobbly'])
    const proxy = await tcpProxy(node.peer)
    const dir = await tempDir()
    const added: NodeInfo[] = []
    const lost: string[] = []
    let cut = false
    const batch = await submit({
      tasks: tasks(4, (i) => `sleep 0.3; echo done-${i} > out-${i}.txt`),
      cwd: dir,
      peers: [proxy.peer],
      observer: {
        nodeAdded: (info) => added.push(info),
        nodeLost: (_info, reason) => lost.push(reason),
        taskStarted: () => {
          if (cut) return
          cut = true
          proxy.cut()
        },
      },
    })
    expect(batch.results.map((r) => r.status)).toEqual(['succeeded', 'succeeded', 'succeeded', 'succeeded'])
    for (let i = 0; i < 4; i++) expect(await fs.readFile(path.join(dir, `out-${i}.txt`), 'utf8')).toBe(`done-${i}\n`)
    expect(lost).toHaveLength(1)
    expect(added.map((n) => n.id)).toEqual([added[0]?.id, added[0]?.id])
    // The node noticed its submitter leave and came back to the same submitter in a new session.
    expect(node.log()).toContain('submitter lost')
    expect(node.log().match(/client connected/g)).toHaveLength(2)
  })

  it('a daemon restarted at the same address (a new daemon id) is taken into the batch', async () => {
    const first = await spawnDaemon(['--slots', '1', '--name', 'before'])
    const proxy = await tcpProxy(first.peer)
    const dir = await tempDir()
    const names: string[] = []
    const run = submit({
      tasks: tasks(3, (i) => `sleep 0.3; echo ${i}`),
      cwd: dir,
      peers: [proxy.peer],
      observer: { nodeAdded: (info) => names.push(info.name) },
    })
    await until(() => first.log().includes('task started'), 'a task to start on the first daemon')
    first.child.kill('SIGKILL')
    const second = await spawnDaemon(['--slots', '1', '--name', 'after'])
    proxy.target = second.peer
    const batch = await run
    expect(batch.ok).toBe(true)
    expect(names).toEqual(['before', 'after'])
    expect(batch.results.every((r) => r.node === 'after' || r.node === 'before')).toBe(true)
    expect(batch.results.some((r) => r.node === 'after')).toBe(true)
  })

  it('a task whose node is lost each time it runs is failed after MAX_LOST_RUNS, not run forever', async () => {
    const node = await spawnDaemon(['--slots', '2', '--submitter-grace', '100ms'])
    const proxy = await tcpProxy(node.peer)
    const dir = await tempDir()
    let starts = 0
    const batch = await submit({
      tasks: tasks(1, () => 'sleep 2'),
      cwd: dir,
      peers: [proxy.peer],
      // Like a task that takes its machine down: every time it starts, the connection goes.
      observer: { taskStarted: () => (starts++, proxy.cut()) },
    })
    expect(starts).toBe(MAX_LOST_RUNS)
    expect(batch.results[0]).toMatchObject({ status: 'failed' })
    expect(batch.results[0]?.reason).toMatch(new RegExp(`its node was lost ${MAX_LOST_RUNS} times during its attempts`))
  })

  it('distw submit --reconnect: a node that stays away fails the tasks with no other node, after the window', async () => {
    const { result, waitedMs } = await loseOnlyNode('gone', '1500ms')
    expect(result.exitCode).toBe(1)
    expect(result.stderr).toMatch(/node gone lost/)
    expect(result.stderr).toMatch(/node gone lost.*\n.*no other node: dialling gone again for up to 1\.5 s/)
    expect(result.stderr).toMatch(/node gone did not come back within 1\.5 s \(--reconnect\)/)
    expect(result.stderr).toMatch(/no node left to run it/)
    // It waited for the window (not failing at once), and not much longer.
    expect(waitedMs).toBeGreaterThanOrEqual(1400)
    expect(waitedMs).toBeLessThan(10_000)
  })

  it('distw submit --reconnect 0: a lost only node fails the rest at once', async () => {
    const { result, waitedMs } = await loseOnlyNode('once', '0')
    expect(result.exitCode).toBe(1)
    expect(result.stderr).toMatch(/no node left to run it/)
    expect(result.stderr).not.toMatch(/did not come back|dialling/)
    expect(waitedMs).toBeLessThan(1400)
  })
})
