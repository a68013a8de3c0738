// A task is its whole process tree: whatever it leaves running (`setsid`, double forks, `nohup`, a
// process that ignores SIGTERM) is killed when it ends, times out or is cancelled, and its slot is
// free. Both methods are tested: a cgroup where this machine lets the daemon make one, and the marker
// variable (cgroups turned off), on real daemons with real processes.
import { randomInt } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it, onTestFinished } from 'vitest'
import { startDaemon, type RunningDaemon } from '../../src/daemon/daemon.js'
import { submit } from '../../src/submit/submit.js'
import { snapshotNodes } from '../../src/watch/snapshot.js'

let daemons: RunningDaemon[] = []
afterEach(async () => {
  for (const d of daemons) await d.close()
  daemons = []
})

async function node(cgroups: boolean): Promise<RunningDaemon> {
  const d = await startDaemon({ port: 0, slots: 2, cgroups, killGraceMs: 300 })
  daemons.push(d)
  return d
}

async function batch(d: RunningDaemon, tasks: string) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'distw-tree-'))
  onTestFinished(() => fs.rmSync(dir, { recursive: true, force: true }))
  return submit({ tasks, cwd: dir, peers: [`${d.host}:${d.port}`] })
}

// Live processes (not zombies) whose command line contains `word`.
function alive(word: string): number[] {
  const found: number[] = []
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8')
      const state = fs.readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]?.[0]
      if (cmdline.includes(word) && state !== 'Z' && state !== 'X') found.push(Number(entry))
    } catch {
      // gone
    }
  }
  return found
}

async function settled(d: RunningDaemon) {
  const [snap] = await snapshotNodes([`${d.host}:${d.port}`], { client: 'test' })
  if (!snap?.reachable) throw new Error('node unreachable')
  return snap.state
}

// A sleep nobody else runs: its duration is the tag that finds its processes.
const tag = (): string => `${randomInt(100_000, 999_999)}.${randomInt(100, 999)}`

const cgroupsHere = await (async () => {
  const d = await startDaemon({ port: 0, slots: 1 })
  try {
    return (await settled(d)).tree?.method === 'cgroup'
  } finally {
    await d.close()
  }
})()

describe.each([
  { method: 'cgroup', cgroups: true },
  { method: 'environ', cgroups: false },
])('task tree by $method', ({ method, cgroups }) => {
  it.skipIf(method === 'cgroup' && !cgroupsHere)('the node says which method it uses', async () => {
    const d = await node(cgroups)
    expect((await settled(d)).tree?.method).toBe(method)
  })

  it.skipIf(method === 'cgroup' && !cgroupsHere)(
    'a task whose setsid child holds its output ends promptly, and the child dies',
    async () => {
      const d = await node(cgroups)
      const t = tag()
      const started = performance.now()
      const result = await batch(
        d,
        [`{"run":"setsid sleep ${t} & echo started"}`, `{"run":"setsid sleep ${t} & echo started","timeout":"2s"}`].join('\n'),
      )
      expect(result.results.map((r) => r.status)).toEqual(['succeeded', 'succeeded'])
      // The grace for held output is 1 s; the sleeps would take days.
      expect(performance.now() - started).toBeLessThan(20_000)
      expect(alive(t)).toEqual([])
      expect((await settled(d)).slotsUsed).toBe(0)
    },
  )

  it.skipIf(method === 'cgroup' && !cgroupsHere)(
    'after tasks that setsid, double-fork, nohup and ignore SIGTERM, with and without timeouts, none of their processes lives',
    async () => {
      const d = await node(cgroups)
      const t = tag()
      const escapes = [
        `setsid sleep ${t} & echo a`,
        `(sleep ${t} &) ; echo b`,
        `nohup sleep ${t} > /dev/null 2>&1 & echo c`,
        `setsid sh -c "trap '' TERM; sleep ${t}" > /dev/null 2>&1 & echo d`,
      ]
      const lines = [
        ...escapes.map((run) => JSON.stringify({ run })),
        ...escapes.map((run) => JSON.stringify({ run: `${run}; sleep ${t}`, timeout: '1s' })),
        // The main process ignores SIGTERM too: only the KILL after the grace ends it.
        JSON.stringify({ run: `trap '' TERM; (setsid sleep ${t} > /dev/null 2>&1 &); sleep ${t}`, timeout: '1s' }),
      ]
      const result = await batch(d, lines.join('\n'))
      expect(result.results).toHaveLength(lines.length)
      for (const r of result.results) expect(r.status === 'succeeded' || r.timedOut).toBe(true)
      expect(alive(t)).toEqual([])
      expect((await settled(d)).slotsUsed).toBe(0)
      expect(fs.readdirSync(path.join(d.workDir, 'tasks'))).toEqual([])
    },
    60_000,
  )
})
