// Scheduling end to end with real daemons: timeouts that kill a whole process tree, Ctrl-C, retries
// on another node, two submitters sharing one slot, locks and priorities.
import fs from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { distw, spawnDaemon, tempDir } from '../helpers/cli.js'
import { alive, pidIn, taskRoot, until } from '../helpers/wait.js'

const json = (task: object) => JSON.stringify(task)
const intervals = async (dir: string, names: string[]) =>
  Promise.all(
    names.map(async (n) => {
      const [s, e] = (await fs.readFile(path.join(dir, `span-${n}`), 'utf8')).trim().split(' ')
      return [BigInt(s!), BigInt(e!)] as const
    }),
  )
const span = (n: string) => `s=$(date +%s%N); sleep 0.2; echo "$s $(date +%s%N)" > span-${n}`
const disjoint = (spans: (readonly [bigint, bigint])[]) =>
  spans.every((a, i) => spans.every((b, j) => i === j || a[1] <= b[0] || b[1] <= a[0]))

describe('scheduling', () => {
  it('a timeout kills the whole tree, a grandchild that ignores TERM included', async () => {
    const node = await spawnDaemon()
    const dir = await tempDir()
    const gcPid = path.join(dir, 'grandchild.pid')
    const run = `sh -c 'trap "" TERM; echo $$ > ${gcPid}; while :; do sleep 0.1; done' & wait`
    await fs.writeFile(path.join(dir, 'tasks.txt'), json({ name: 'stubborn', run, timeout: '1s' }))

    const result = await distw(['submit', 'tasks.txt', '--peer', node.peer], { cwd: dir })

    expect(result.exitCode).toBe(1)
    expect(result.stderr).toMatch(/stubborn failed: timed out/)
    const pid = await pidIn(gcPid)
    await until(() => !alive(pid), 'the grandchild to be dead')
    expect(await fs.readdir(taskRoot(node.log()))).toEqual([])
  })

  it('daemon --kill-grace: a task that ignores TERM is killed that long after its timeout', async () => {
    const node = await spawnDaemon(['--kill-grace', '300ms'])
    const dir = await tempDir()
    const run = 'trap "" TERM; while :; do sleep 0.05; done'
    await fs.writeFile(path.join(dir, 'tasks.txt'), json({ name: 'deaf', run, timeout: '200ms' }))

    const result = await distw(['submit', 'tasks.txt', '--peer', node.peer, '--json'], { cwd: dir })

    const finished = result.stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { event: string; timedOut?: boolean; signal?: string; durationMs?: number })
      .find((e) => e.event === 'task-finished')
    expect(finished).toMatchObject({ timedOut: true, signal: 'SIGKILL' })
    // 200 ms + 300 ms of grace; the default grace (2 s) would take 2.2 s at least.
    expect(finished?.durationMs).toBeGreaterThanOrEqual(450)
    expect(finished?.durationMs).toBeLessThan(1500)
    const bad = await distw(['daemon', '--port', '0', '--kill-grace', 'soon'])
    expect(bad.exitCode).toBe(2)
    expect(bad.stderr).toMatch(/--kill-grace: invalid duration "soon"/)
  })

  it('Ctrl-C on submit cancels the remote tasks and exits 130 with nothing left running', async () => {
    const node = await spawnDaemon(['--slots', '2'])
    const dir = await tempDir()
    const tasks = [1, 2].map((n) => `echo $$ > ${path.join(dir, `t${n}.pid`)}; exec sleep 60`)
    const submitter = distw(['submit', '-', '--peer', node.peer], { cwd: dir, input: tasks.join('\n') })
    const pids = await Promise.all([1, 2].map((n) => pidIn(path.join(dir, `t${n}.pid`))))

    submitter.kill('SIGINT')
    const result = await submitter

    expect(result.exitCode).toBe(130)
    expect(result.stderr).toContain('2 cancelled')
    for (const pid of pids) await until(() => !alive(pid), `task ${pid} to be dead`)
    await until(async () => (await fs.readdir(taskRoot(node.log()))).length === 0, 'task folders to be removed')
  })

  it('retries a failed task on another node when one fits', async () => {
    const a = await spawnDaemon(['--name', 'node-a'])
    const b = await spawnDaemon(['--name', 'node-b'])
    const dir = await tempDir()
    const marker = path.join(dir, 'failed-once')
    const log = path.join(dir, 'nodes.log')
    const run = `echo $DISTW_NODE >> ${log}; test -e ${marker} || { touch ${marker}; exit 1; }`
    await fs.writeFile(path.join(dir, 'tasks.txt'), json({ name: 'flaky', run, retries: 2 }))

    const result = await distw(['submit', 'tasks.txt', '--peer', a.peer, '--peer', b.peer], { cwd: dir })

    expect(result.exitCode).toBe(0)
    const nodes = (await fs.readFile(log, 'utf8')).trim().split('\n')
    expect(nodes).toHaveLength(2)
    expect(new Set(nodes).size).toBe(2)
  })

  it('two submitters racing for one slot: one task at a time, both batches complete', async () => {
    const node = await spawnDaemon(['--slots', '1'])
    const dirs = [await tempDir(), await tempDir()]
    const names = ['a', 'b', 'c']
    const runs = dirs.map((dir) => distw(['submit', '-', '--peer', node.peer], { cwd: dir, input: names.map(span).join('\n') }))

    const results = await Promise.all(runs)

    for (const r of results) expect(r.exitCode).toBe(0)
    const spans = (await Promise.all(dirs.map((dir) => intervals(dir, names)))).flat()
    expect(spans).toHaveLength(6)
    expect(disjoint(spans)).toBe(true)
  })

  // Issue 19, item 1: the lock task's kept lease fit no later task, was given back, and nothing started.
  it('a task whose lock differs from the one before it still starts on a 1-slot node', async () => {
    const node = await spawnDaemon(['--slots', '1'])
    const dir = await tempDir()
    const result = await distw(['submit', '-', '--peer', node.peer], { cwd: dir, input: `${json({ lock: 'a', run: 'true' })}\ntrue\n` })
    expect(result.exitCode, result.stderr).toBe(0)
    expect(result.stderr).toContain('2 tasks: 2 succeeded')
  })

  it('a lock lets one task holding it run per node at once; priority orders ready tasks', async () => {
    const node = await spawnDaemon(['--slots', '3'])
    const dir = await tempDir()
    const locked = ['x', 'y', 'z'].map((n) => json({ name: n, run: span(n), lock: 'gpu' }))
    await fs.writeFile(path.join(dir, 'tasks.txt'), locked.join('\n'))
    const result = await distw(['submit', 'tasks.txt', '--peer', node.peer], { cwd: dir })
    expect(result.exitCode).toBe(0)
    expect(disjoint(await intervals(dir, ['x', 'y', 'z']))).toBe(true)

    const one = await spawnDaemon(['--slots', '1'])
    const order = path.join(dir, 'order')
    const prioritised = [0, 5, 1, 9].map((p) => json({ name: `p${p}`, run: `echo p${p} >> ${order}`, priority: p }))
    await fs.writeFile(path.join(dir, 'prio.txt'), prioritised.join('\n'))
    expect((await distw(['submit', 'prio.txt', '--peer', one.peer], { cwd: dir })).exitCode).toBe(0)
    expect((await fs.readFile(order, 'utf8')).trim().split('\n')).toEqual(['p9', 'p5', 'p1', 'p0'])
  })
})
