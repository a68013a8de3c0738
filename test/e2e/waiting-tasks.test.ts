// A task that waits for its dependencies is on no node: its submitter tells its nodes (`queue`), and
// `distw status` and `distw top` show it as `waiting`, once, whichever nodes they read; real daemons,
// the built CLI, a chain A → B where A runs until the test lets it end.
import fs from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { batchesOf, type WaitingBatch } from '../../src/watch/batches.js'
import { snapshotNodes } from '../../src/watch/snapshot.js'
import { distw, spawnDaemon, tempDir } from '../helpers/cli.js'
import { distwInTerminal } from '../helpers/tmux.js'
import { until } from '../helpers/wait.js'

const count = (text: string, word: string) => text.split(word).length - 1

describe('tasks waiting for their dependencies', () => {
  it('status (plain and --json) and top show B waiting after A while A runs, and no more once the batch ended', async () => {
    const a = await spawnDaemon(['--slots', '1', '--name', 'wait-node-a'])
    const b = await spawnDaemon(['--slots', '1', '--name', 'wait-node-b'])
    const peers = ['--peer', a.peer, '--peer', b.peer]
    const dir = await tempDir()
    const go = path.join(dir, 'go')
    const lines = [
      { name: 'A', run: `while [ ! -e ${go} ]; do sleep 0.05; done; echo a > a.txt` },
      { name: 'B', after: ['A'], inputs: ['a.txt'], run: 'cat a.txt' },
    ]
    const batch = distw(['submit', '-', ...peers], { cwd: dir, input: `${lines.map((l) => JSON.stringify(l)).join('\n')}\n` })
    // Both nodes have been told (in-process, cheaply), then the CLI is asked once.
    await until(
      async () => batchesOf(await snapshotNodes([a.peer, b.peer], { client: 'test@here' })).some((q) => q.nodes.length === 2),
      'both nodes to report the batch',
      60_000,
    )
    const text = (await distw(['status', ...peers])).stdout
    expect(text).toMatch(/^batch [0-9a-f]{8} of \S+ {2}1 waiting for dependencies {2}\(told wait-node-[ab], wait-node-[ab]\)$/m)
    expect(text).toMatch(/^ {2}B {2}\S+ {2}waiting {2}after A$/m)
    expect(text).toMatch(/^ {2}A {2}\S+ {2}\d+s$/m)
    expect(count(text, 'waiting  after A')).toBe(1)

    const json = await distw(['status', ...peers, '--json'])
    expect(json.exitCode).toBe(0)
    const status = JSON.parse(json.stdout) as { nodes: unknown[]; batches: WaitingBatch[] }
    expect(status.nodes).toHaveLength(2)
    expect(status.batches).toEqual([
      expect.objectContaining({ waiting: 1, ready: 0, tasks: [{ name: 'B', after: ['A'], more: 0, state: 'waiting' }] }),
    ])
    expect([...(status.batches[0]?.nodes ?? [])].sort()).toEqual(['wait-node-a', 'wait-node-b'])

    // top in a real terminal: B is listed as waiting while A runs, and gone once the batch ended.
    const term = await distwInTerminal(['top', ...peers])
    try {
      const screen = await term.shows(/\* B +- +waiting after A/)
      expect(screen).toMatch(/\* A +wait-node-[ab] /)
      expect(screen).toMatch(/running 1 {2}waiting 1 {2}finished 0/)

      await fs.writeFile(go, '')
      const result = await batch
      expect(result.exitCode, result.stderr).toBe(0)
      expect(await term.shows(/running 0 {2}finished 2 \(0 failed\)/)).not.toContain('waiting')
    } finally {
      await term.kill()
    }
    const after = await distw(['status', ...peers, '--json'])
    expect((JSON.parse(after.stdout) as { batches: unknown[] }).batches).toEqual([])
    expect((await distw(['status', ...peers])).stdout).not.toContain('waiting')
    // Several CLI processes on a shared 2-core machine: generous, not a performance claim.
  }, 180_000)
})
