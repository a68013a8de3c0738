// `distw status` against real daemon processes, one of them running a real task.
import { describe, expect, it } from 'vitest'
import { snapshotNodes } from '../../src/watch/snapshot.js'
import { distw, spawnDaemon, tempDir } from '../helpers/cli.js'

describe('distw status', () => {
  it('prints a snapshot of each node, with running tasks and their progress; --json gives the same as data', async () => {
    const busy = await spawnDaemon(['--slots', '2', '--name', 'busy-node'])
    const idle = await spawnDaemon(['--slots', '1', '--name', 'idle-node'])
    const dir = await tempDir()
    const batch = distw(['submit', '-', '--peer', busy.peer], {
      cwd: dir,
      input: '{"name":"halfway-task","run":"echo \\"::distw::progress 50 halfway there\\"; sleep 300"}\n',
    })
    // Wait (in-process, cheaply) until the task runs, then ask the CLI once.
    for (let i = 0; i < 600; i++) {
      const [node] = await snapshotNodes([busy.peer], { client: 'test@here' })
      if (node?.reachable && node.state.running.some((t) => t.percent === 50)) break
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    const text = (await distw(['status', '--peer', busy.peer, '--peer', idle.peer])).stdout
    expect(text).toMatch(/busy-node .* busy {2}slots 1\/2/)
    expect(text).toMatch(/idle-node .* idle {2}slots 0\/1/)
    expect(text).toMatch(/halfway-task .*50% halfway there/)

    const json = await distw(['status', '--peer', busy.peer, '--json'])
    expect(json.exitCode).toBe(0)
    const [node] = JSON.parse(json.stdout) as { reachable: boolean; state: { running: { name: string; percent: number }[] } }[]
    expect(node?.reachable).toBe(true)
    expect(node?.state.running[0]).toMatchObject({ name: 'halfway-task', percent: 50 })
    batch.kill('SIGINT')
    // Several CLI processes start on a shared 2-core machine: generous, not a performance claim.
  }, 120_000)

  it('lists an unreachable node and exits 3; no --peer is a usage error', async () => {
    const down = await distw(['status', '--peer', '127.0.0.1:1'])
    expect(down.exitCode).toBe(3)
    expect(down.stdout).toContain('127.0.0.1:1  unreachable')
    const none = await distw(['status'])
    expect(none.exitCode).toBe(2)
    expect(none.stderr).toContain('--peer')
  }, 60_000)
})
