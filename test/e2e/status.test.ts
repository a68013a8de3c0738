// `distw status` against real daemon processes: one running a real task, one found by broadcast, one
// guarded by a shared secret.
import fs from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { snapshotNodes } from '../../src/watch/snapshot.js'
import { distw, spawnDaemon, tempDir } from '../helpers/cli.js'

describe('distw status', () => {
  it('prints a snapshot of each node, with running tasks and their progress; --json gives the same as data', async () => {
    const busy = await spawnDaemon(['--slots', '2', '--name', 'busy-node'])
    // This one finds a task's processes by the marker variable, not a cgroup.
    const idle = await spawnDaemon(['--slots', '1', '--name', 'idle-node', '--cache-size', '2G'], { env: { DISTW_NO_CGROUP: '1' } })
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
    expect(text).toMatch(/idle-node .* idle {2}slots 0\/1 .* cache 0 B of 2.0 GiB  tree environ/)
    expect(text).toMatch(/busy-node .*  tree (cgroup|environ)/)
    expect(text).toMatch(/halfway-task .*50% halfway there/)

    const json = await distw(['status', '--peer', busy.peer, '--json'])
    expect(json.exitCode).toBe(0)
    const {
      nodes: [node],
    } = JSON.parse(json.stdout) as { nodes: { reachable: boolean; state: { running: { name: string; percent: number }[] } }[] }
    expect(node?.reachable).toBe(true)
    expect(node?.state.running[0]).toMatchObject({ name: 'halfway-task', percent: 50 })
    batch.kill('SIGINT')
    // Several CLI processes start on a shared 2-core machine: generous, not a performance claim.
  }, 120_000)

  it('lists an unreachable node and exits 3; with no --peer and nothing found it says so and exits 3', async () => {
    const down = await distw(['status', '--peer', '127.0.0.1:1'])
    expect(down.exitCode).toBe(3)
    expect(down.stdout).toContain('127.0.0.1:1  unreachable')
    const none = await distw(['status', '--no-mdns', '--no-broadcast', '--wait', '200ms'], { env: { DISTW_PEERS: '' } })
    expect(none.exitCode).toBe(3)
    expect(none.stderr).toContain('no distw node without a pool found in 200 ms')
    expect(none.stderr).toContain('--peer')
  }, 60_000)

  it('finds a node by UDP broadcast when no --peer is given', async () => {
    const found = await spawnDaemon(['--slots', '1', '--name', 'found-by-probe'])
    const port = found.peer.split(':').at(-1) as string
    const run = await distw(['status', '--no-mdns', '--probe-port', port, '--wait', '1s'], { env: { DISTW_PEERS: '' } })
    expect(run.exitCode).toBe(0)
    expect(run.stdout).toMatch(/found-by-probe .* idle {2}slots 0\/1/)
  }, 60_000)

  it('watches a node that has a shared secret only with that secret', async () => {
    const dir = await tempDir()
    const secretFile = path.join(dir, 'secret')
    await fs.writeFile(secretFile, 'a shared secret of enough bytes for distw', { mode: 0o600 })
    const guarded = await spawnDaemon(['--slots', '1', '--name', 'guarded', '--secret-file', secretFile])
    const withSecret = await distw(['status', '--peer', guarded.peer, '--secret-file', secretFile])
    expect(withSecret.exitCode).toBe(0)
    expect(withSecret.stdout).toMatch(/guarded .* idle/)
    const without = await distw(['status', '--peer', guarded.peer], { env: { DISTW_SECRET: '' } })
    expect(without.exitCode).toBe(3)
    expect(without.stdout).toContain('requires a shared secret')
  }, 60_000)
})
