// No silent waits, with real daemons (issue 19, items 3 and 4): a --peer down when the batch starts
// is dialled again and joins it once its daemon is up; while the batch runs nothing it says what it
// waits for (a node paused by its policy, a peer being dialled, slots held by another submitter) on
// the spinner line, as `waiting` events with --json, and once in plain output when the wait passes 5 s.
import fs from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { distw, spawnDaemon, tempDir } from '../helpers/cli.js'
import { closedPort } from '../helpers/ports.js'
import { until } from '../helpers/wait.js'

// A window of the local clock that is not now: the node refuses every reservation ("paused: outside hours").
const later = () => {
  const hh = (h: number) => `${String((new Date().getHours() + h) % 24).padStart(2, '0')}:00`
  return `${hh(2)}-${hh(3)}`
}

const events = (stdout: string) =>
  stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>)

describe('waiting for a node', () => {
  it('a paused node and a peer down at the start: says both after 5 s, then runs on the peer once it is up', async () => {
    const paused = await spawnDaemon(['--name', 'resting', '--hours', later()])
    const port = await closedPort()
    const dir = await tempDir()
    let stderr = ''
    const run = distw(['submit', '-', '--peer', paused.peer, '--peer', `127.0.0.1:${port}`], { cwd: dir, input: 'true\ntrue\n' })
    run.stderr?.on('data', (d: Buffer) => (stderr += d.toString()))
    await until(() => stderr.includes('waiting for a node for 5 s'), 'the wait to be said', 30_000)
    expect(stderr).toMatch(
      /cannot reach node ws:\/\/127\.0\.0\.1:\d+: connect ECONNREFUSED .*; trying again for up to 60 s \(--reconnect\)/,
    )
    expect(stderr).toMatch(/waiting for a node for 5 s: resting: paused: outside hours .*; 127\.0\.0\.1:\d+: unreachable, dialled again/)
    expect(stderr.match(/waiting for a node/g)).toHaveLength(1)
    const workDir = await tempDir('distw-node-')
    void distw(['daemon', '--port', String(port), '--name', 'late', '--work-dir', workDir, '--allow-root'])
    const result = await run
    expect(result.exitCode, result.stderr).toBe(0)
    expect(result.stderr).toContain('2 tasks: 2 succeeded')
    // Five seconds of waiting, by design, on a machine that may be loaded.
  }, 90_000)

  it('--json: a slot held by another submitter is a `waiting` event, and the wait ends when the slot comes free', async () => {
    const node = await spawnDaemon(['--slots', '1', '--name', 'solo'])
    const dir = await tempDir()
    // The first batch holds the only slot until the second has said that it waits.
    const first = distw(['submit', '-', '--peer', node.peer], {
      cwd: dir,
      input: `while [ ! -e ${path.join(dir, 'go')} ]; do sleep 0.05; done\n`,
    })
    await until(() => node.log().includes('task started'), 'the first batch to take the slot')
    let stdout = ''
    const second = distw(['submit', '-', '--json', '--peer', node.peer], { cwd: dir, input: 'true\n' })
    second.stdout?.on('data', (d: Buffer) => (stdout += d.toString()))
    await until(() => stdout.includes('"event":"waiting"'), 'the second batch to say it waits')
    await fs.writeFile(path.join(dir, 'go'), '')
    const result = await second
    expect(result.exitCode, result.stderr).toBe(0)
    const seen = events(result.stdout).filter((e) => e.event === 'waiting' || e.event === 'task-started')
    expect(seen).toEqual([
      expect.objectContaining({ event: 'waiting', for: 'solo: busy with other submitters (1 slot(s) asked, 0 free)' }),
      expect.objectContaining({ event: 'waiting', for: null }),
      expect.objectContaining({ event: 'task-started' }),
    ])
    expect((await first).exitCode).toBe(0)
  })
})
