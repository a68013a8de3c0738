// submit() when discovery stops hearing a node. The node is a real `distw daemon` frozen with SIGSTOP:
// it answers no UDP probe (discovery removes it) and reads nothing from its open TCP connection (like
// a machine that vanished without closing it), until SIGCONT. The submitter's heartbeat is long, so
// only the discovery `remove` can make a difference within the test.
import os from 'node:os'
import { describe, expect, it } from 'vitest'
import { Discovery } from '../../src/discovery/discovery.js'
import { submit, type SubmitOptions } from '../../src/submit/submit.js'
import type { BatchResult, SubmitObserver } from '../../src/submit/result.js'
import { spawnDaemon, tempDir, type DaemonProcess } from '../helpers/cli.js'
import { within } from '../helpers/wait.js'

const fastDiscovery = (port: number) => ({ mdns: false, broadcast: true, port, intervalMs: 200, staleMs: 600 })
const json = (task: object) => JSON.stringify(task)

// Starts the batch both tests run: discovery by broadcast on the node's port only, and a heartbeat too
// long to matter, so only discovery's `remove` can change the outcome. The node is frozen (SIGSTOP) as
// soon as the task `freezeOn` starts.
async function batchFreezingOn(
  node: DaemonProcess,
  freezeOn: string,
  options: Pick<SubmitOptions, 'tasks' | 'local' | 'localSlots'> & { observer?: SubmitObserver },
) {
  let frozen = false
  const batch = submit({
    ...options,
    cwd: await tempDir(),
    discovery: fastDiscovery(Number(new URL(node.url).port)),
    discoveryWaitMs: 500,
    heartbeatMs: 60_000,
    observer: {
      ...options.observer,
      taskStarted: (task) => {
        if (task.name !== freezeOn || frozen) return
        frozen = true
        node.child.kill('SIGSTOP')
      },
    },
  })
  return { batch, frozen: () => frozen }
}

describe('a node discovery stops hearing', () => {
  it('gets no new task while it does not answer over its connection: they run elsewhere', async () => {
    const node = await spawnDaemon(['--slots', '2', '--name', 'vanishing', '--no-mdns'])
    const local = `${os.hostname()} (local)`
    // first runs on the embedded node; the others wait for it, so they are handed out after the freeze.
    const tasks = [
      json({ name: 'first', run: 'sleep 2; echo first', requires: { avoid: ['vanishing'] } }),
      ...[1, 2, 3].map((i) => json({ name: `then${i}`, run: 'echo "$DISTW_NODE"', after: ['first'] })),
    ].join('\n')
    const { batch, frozen } = await batchFreezingOn(node, 'first', { tasks, local: 'also', localSlots: 1 })
    let result: BatchResult | undefined
    try {
      result = await within(batch, 15_000, 'the batch on the other node')
    } finally {
      // Without the fix the batch waits on the frozen node: killing it closes the connection and ends it.
      node.child.kill('SIGKILL')
      await batch.catch(() => {})
    }
    expect(frozen()).toBe(true)
    expect(result.ok).toBe(true)
    expect(result.results.map((r) => [r.name, r.node, r.attempts])).toEqual([
      ['first', local, 1],
      ['then1', local, 1],
      ['then2', local, 1],
      ['then3', local, 1],
    ])
  })

  it('keeps its running task and gets new ones again once it answers: discovery alone drops nothing', async () => {
    const node = await spawnDaemon(['--slots', '1', '--name', 'blinking', '--no-mdns'])
    const port = Number(new URL(node.url).port)
    // A second listener with the same timing tells the test when the submitter's discovery has dropped the node.
    const watcher = await Discovery.start(fastDiscovery(port))
    const removed = new Promise<void>((resolve) => watcher.on('remove', () => resolve()))
    const tasks = [json({ name: 'long', run: 'sleep 1; echo long' }), json({ name: 'next', run: 'echo next', after: ['long'] })].join('\n')
    const output: string[] = []
    const { batch } = await batchFreezingOn(node, 'long', {
      tasks,
      local: 'never',
      observer: { taskOutput: (_task, _stream, data) => void output.push(data.toString().trim()) },
    })
    try {
      await within(removed, 10_000, 'discovery dropping the frozen node')
      await new Promise((resolve) => setTimeout(resolve, 400)) // the submitter's own sweep, on the same timing
      node.child.kill('SIGCONT')
      const result = await within(batch, 15_000, 'the batch')
      expect(result.ok).toBe(true)
      expect(result.results.map((r) => [r.name, r.node, r.attempts])).toEqual([
        ['long', 'blinking', 1],
        ['next', 'blinking', 1],
      ])
      expect(output).toEqual(['long', 'next'])
    } finally {
      await watcher.close()
      node.child.kill('SIGKILL')
      await batch.catch(() => {})
    }
  })
})
