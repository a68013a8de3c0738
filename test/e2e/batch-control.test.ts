// Batch control end to end: requirements that no node meets, `after` with skipped dependents, the job
// log and --resume, --halt, and --json events.
import fs from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { distw, shell, spawnDaemon, tempDir } from '../helpers/cli.js'

const json = (task: object) => JSON.stringify(task)
const lines = async (file: string) => (await fs.readFile(file, 'utf8')).trim().split('\n')

// Several CLI runs a test, each starting a Node process: slow on a loaded 2-core machine.
describe('batch control', { timeout: 120_000 }, () => {
  it('fails fast, per node, a task no node can serve, and routes by tools and env', async () => {
    const a = await spawnDaemon(['--name', 'node-a'])
    const b = await spawnDaemon(['--name', 'node-b'])
    const dir = await tempDir()
    const tasks = [
      json({ name: 'impossible', run: 'true', requires: { tools: ['no-such-tool-q'] } }),
      json({ name: 'on-b', run: 'echo ran on $DISTW_NODE', requires: { tools: ['sh'], env: ['DISTW_NODE=node-b'] } }),
    ]
    await fs.writeFile(path.join(dir, 'tasks.txt'), tasks.join('\n'))

    const result = await distw(['submit', 'tasks.txt', '--peer', a.peer, '--peer', b.peer], { cwd: dir })

    expect(result.exitCode).toBe(1)
    expect(result.stderr).toMatch(/impossible failed: no node can run it \(.*node-a: lacks tool\(s\) on PATH: no-such-tool-q/)
    expect(result.stderr).toMatch(/node-b: lacks tool\(s\) on PATH: no-such-tool-q/)
    expect(result.stdout).toContain('[on-b] ran on node-b')
  })

  it('runs dependents in order and skips, with the reason, those of a failed task', async () => {
    const node = await spawnDaemon(['--slots', '2'])
    const dir = await tempDir()
    const order = path.join(dir, 'order')
    const tasks = [
      json({ name: 'last', run: `echo last >> ${order}`, after: ['middle'] }),
      json({ name: 'middle', run: `sleep 0.2; echo middle >> ${order}`, after: ['first'] }),
      json({ name: 'first', run: `sleep 0.2; echo first >> ${order}` }),
      json({ name: 'broken', run: 'exit 4' }),
      json({ name: 'child', run: 'touch child-ran', after: ['broken'] }),
      json({ name: 'grandchild', run: 'touch grandchild-ran', after: ['child'] }),
    ]
    await fs.writeFile(path.join(dir, 'tasks.txt'), tasks.join('\n'))

    const result = await distw(['submit', 'tasks.txt', '--peer', node.peer], { cwd: dir })

    expect(result.exitCode).toBe(1)
    expect(await lines(order)).toEqual(['first', 'middle', 'last'])
    expect(result.stderr).toContain('child skipped: skipped because broken failed')
    expect(result.stderr).toContain('grandchild skipped: skipped because child skipped')
    expect(result.stderr).toContain('3 succeeded, 1 failed, 2 skipped')
    await expect(fs.access(path.join(dir, 'child-ran'))).rejects.toThrow()
  })

  it('--resume runs only what remained, keyed by task content, even after other lines were edited', async () => {
    const node = await spawnDaemon(['--slots', '2'])
    const dir = await tempDir()
    // Outside the submit folder: a line naming a file inside it would send it (its content, and so the
    // task's identity, changing with every run).
    const runs = path.join(await tempDir(), 'runs.log')
    await fs.writeFile(path.join(dir, 'data.txt'), 'v1\n')
    const first = [
      `echo one >> ${runs}`,
      json({ name: 'reads-data', run: `echo data >> ${runs}; cat data.txt > copy.txt`, inputs: ['data.txt'] }),
      `test -e ${path.join(dir, 'go')} && echo gated >> ${runs}`,
    ]
    await fs.writeFile(path.join(dir, 'tasks.txt'), first.join('\n'))
    const joblog = path.join(dir, 'job.log')

    const run1 = await distw(['submit', 'tasks.txt', '--peer', node.peer, '--joblog', joblog], { cwd: dir })
    expect(run1.exitCode).toBe(1)
    expect((await lines(runs)).sort()).toEqual(['data', 'one'])
    const log1 = await lines(joblog)
    expect(log1[0]).toMatch(
      /^digest\ttask\tline\tattempt\tnode\tstart\tduration_ms\texit_code\tsignal\tstatus\tbytes_in\tbytes_out\treason$/,
    )
    expect(log1).toHaveLength(4)

    // Shift every line down and add a new task; the gated task can now succeed.
    await fs.writeFile(path.join(dir, 'go'), '')
    await fs.writeFile(path.join(dir, 'tasks.txt'), ['# edited', `echo new >> ${runs}`, ...first].join('\n'))
    await fs.writeFile(runs, '')
    const run2 = await distw(['submit', 'tasks.txt', '--peer', node.peer, '--joblog', joblog, '--resume'], { cwd: dir })
    expect(run2.exitCode).toBe(0)
    expect((await lines(runs)).sort()).toEqual(['gated', 'new'])
    expect(run2.stderr).toContain('4 tasks: 4 succeeded (2 in an earlier run, not run again: --resume), 0 failed')

    // Changing an input's content makes its task a different task.
    await fs.writeFile(path.join(dir, 'data.txt'), 'v2\n')
    await fs.writeFile(runs, '')
    const run3 = await distw(['submit', 'tasks.txt', '--peer', node.peer, '--joblog', joblog, '--resume'], { cwd: dir })
    expect(run3.exitCode).toBe(0)
    expect(await lines(runs)).toEqual(['data'])
    expect(await fs.readFile(path.join(dir, 'copy.txt'), 'utf8')).toBe('v2\n')
  })

  it('--halt soon,fail=1 starts nothing after a failure; now,fail=1 cancels what runs', async () => {
    const one = await spawnDaemon(['--slots', '1'])
    const dir = await tempDir()
    const soon = ['exit 3', 'touch a', 'touch b', 'touch c'].join('\n')
    const r1 = await distw(['submit', '-', '--peer', one.peer, '--halt', 'soon,fail=1'], { cwd: dir, input: soon })
    expect(r1.exitCode).toBe(1)
    expect(r1.stderr).toContain('0 succeeded, 1 failed, 3 cancelled')

    const two = await spawnDaemon(['--slots', '2'])
    const now = [json({ name: 'slow', run: 'sleep 30' }), json({ name: 'bad', run: 'sleep 0.3; exit 5' })].join('\n')
    const r2 = await distw(['submit', '-', '--peer', two.peer, '--halt', 'now,fail=1'], { cwd: dir, input: now })
    expect(r2.exitCode).toBe(1)
    expect(r2.stderr).toMatch(/slow cancelled/)

    const bad = await distw(['submit', '-', '--peer', two.peer, '--halt', 'later'], { cwd: dir, input: 'true' })
    expect(bad.exitCode).toBe(2)
    expect(bad.stderr).toContain('now,fail=1')
  })

  it('--halt now,success=1 stops at the first success, cancels the rest and exits 0 (GNU Parallel’s "first that works")', async () => {
    const node = await spawnDaemon(['--slots', '2'])
    const dir = await tempDir()
    const r = await shell(`distw run --halt now,success=1 'sleep {}; echo found {}' ::: 0.2 30 30`, {
      cwd: dir,
      env: { DISTW_PEERS: node.peer },
    })
    expect(r.exitCode, r.stderr).toBe(0)
    expect(r.stdout).toBe('[task-1] found 0.2')
    expect(r.stderr).toContain('halting after 1 success (--halt now,success=1)')
    expect(r.stderr).toContain('1 succeeded, 0 failed, 2 cancelled')
  })

  it('--json prints one NDJSON event per line on stdout', async () => {
    const node = await spawnDaemon()
    const dir = await tempDir()
    const result = await distw(['submit', '-', '--peer', node.peer, '--json'], { cwd: dir, input: 'echo hi\nexit 2\n' })
    expect(result.exitCode).toBe(1)
    const events = result.stdout.split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)
    const kinds = events.map((e) => e.event)
    // A pipe is a stream: its tasks are queued as their lines are read, each before it starts.
    expect(kinds.indexOf('task-queued')).toBeLessThan(kinds.indexOf('task-started'))
    expect(kinds).toContain('node-added')
    expect(kinds.filter((k) => k === 'task-started')).toHaveLength(2)
    expect(events).toContainEqual(expect.objectContaining({ event: 'task-output', task: 'task-1', stream: 'stdout', data: 'hi\n' }))
    expect(events).toContainEqual(expect.objectContaining({ event: 'task-finished', task: 'task-2', status: 'failed', exitCode: 2 }))
    expect(events.at(-1)).toMatchObject({ event: 'batch-finished', exitCode: 1, succeeded: 1, failed: 1 })
  })
})
