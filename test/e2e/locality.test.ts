// Placement by locality, end to end with real daemons: a node keeps the outputs it returned in its blob
// cache, so a dependent placed there needs no upload of them; one that must run elsewhere gets them
// uploaded; and a resubmitted batch goes where its inputs already are (the record beside the digest cache).
import { randomBytes } from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { distw, spawnDaemon, tempDir } from '../helpers/cli.js'

const json = (task: object) => JSON.stringify(task)
const MiB = 1024 * 1024

interface Finished {
  task: string
  node: string
  status: string
  bytesUp: number
}

// The task-finished events of a `--json` run, by task name.
function finished(stdout: string): Map<string, Finished> {
  const events = stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { event: string } & Finished)
  return new Map(events.filter((e) => e.event === 'task-finished').map((e) => [e.task, e]))
}

describe('placement by locality', () => {
  it('a 20 MiB intermediate is not uploaded again to the node that made it, and is uploaded to the one that must run its other dependent', async () => {
    const alpha = await spawnDaemon(['--name', 'alpha', '--slots', '1', '--tag', 'alpha-only'])
    const beta = await spawnDaemon(['--name', 'beta', '--slots', '1'])
    const dir = await tempDir()
    const tasks = [
      // A runs on beta (the second node named): B, free to run anywhere, follows the data there.
      json({ name: 'A', run: 'head -c 20971520 /dev/urandom > a.bin', requires: { nodes: ['beta'] } }),
      json({ name: 'B', run: 'sha256sum a.bin > b.txt', inputs: ['a.bin'], after: ['A'] }),
      json({ name: 'C', run: 'sha256sum a.bin > c.txt', inputs: ['a.bin'], after: ['B'], requires: { tags: ['alpha-only'] } }),
    ]
    await fs.writeFile(path.join(dir, 'tasks.txt'), tasks.join('\n'))

    const result = await distw(['submit', 'tasks.txt', '--peer', alpha.peer, '--peer', beta.peer, '--json', '--joblog', 'log.tsv'], {
      cwd: dir,
    })

    expect(result.exitCode).toBe(0)
    const ends = finished(result.stdout)
    expect(ends.get('A')).toMatchObject({ node: 'beta', status: 'succeeded', bytesUp: 0 })
    expect(ends.get('B')).toMatchObject({ node: 'beta', status: 'succeeded', bytesUp: 0 })
    expect(ends.get('C')).toMatchObject({ node: 'alpha', status: 'succeeded', bytesUp: 20 * MiB })
    // The job log says the same (bytes_in is the 11th column).
    const rows = (await fs.readFile(path.join(dir, 'log.tsv'), 'utf8')).trim().split('\n').slice(1)
    expect(rows.map((r) => r.split('\t')[1] + ' ' + r.split('\t')[10])).toEqual(['A 0', 'B 0', `C ${20 * MiB}`])
    // Both read the bytes A made.
    const sum = (await fs.readFile(path.join(dir, 'b.txt'), 'utf8')).split(' ')[0]
    expect(await fs.readFile(path.join(dir, 'c.txt'), 'utf8')).toBe(`${sum}  a.bin\n`)
  }, 120_000)

  it('an identical resubmission sends no input: each task goes to the node that holds its input', async () => {
    const alpha = await spawnDaemon(['--name', 'alpha', '--slots', '1'])
    const beta = await spawnDaemon(['--name', 'beta', '--slots', '1'])
    const dir = await tempDir()
    const tasks: string[] = []
    // One task per node, each node free when its task is placed: the holder is always free to take it. (With
    // more tasks than slots, a task whose holder is busy may go to a free node: the wait for the holder is
    // bounded by what sending the input takes, a few ms on loopback, so which node ran what varies.)
    for (let i = 0; i < 2; i++) {
      await fs.writeFile(path.join(dir, `in-${i}.bin`), randomBytes(MiB))
      tasks.push(json({ name: `t${i}`, run: `sleep 0.2; sha256sum in-${i}.bin`, inputs: [`in-${i}.bin`] }))
    }
    await fs.writeFile(path.join(dir, 'tasks.txt'), tasks.join('\n'))
    const args = ['submit', 'tasks.txt', '--peer', alpha.peer, '--peer', beta.peer, '--json']

    const first = await distw(args, { cwd: dir })
    const second = await distw(args, { cwd: dir })

    expect(first.exitCode).toBe(0)
    expect(second.exitCode).toBe(0)
    const sent = (run: Map<string, Finished>) => [...run.values()].reduce((sum, e) => sum + e.bytesUp, 0)
    expect(sent(finished(first.stdout))).toBe(2 * MiB)
    expect(sent(finished(second.stdout))).toBe(0)
  }, 120_000)

  it('with more tasks than slots, a resubmission still sends nothing: a task waits for its holder rather than queue behind a task elsewhere', async () => {
    const alpha = await spawnDaemon(['--name', 'alpha', '--slots', '1'])
    const beta = await spawnDaemon(['--name', 'beta', '--slots', '1'])
    const dir = await tempDir()
    // The tasks (0.1 s) are short enough to be queued behind a running one (pipelining), and each input
    // takes ~20 ms to send (at the 100 MiB/s assumed): before, a task that had waited that long for its
    // holder's lease was queued behind the other node's task, and its input sent there.
    for (const i of [0, 1]) await fs.writeFile(path.join(dir, `in-${i}.bin`), randomBytes(2 * MiB))
    const seed = [json({ name: 's0', run: 'true', inputs: ['in-0.bin'], requires: { nodes: ['alpha'] } })]
    seed.push(json({ name: 's1', run: 'true', inputs: ['in-1.bin'], requires: { nodes: ['beta'] } }))
    const tasks = Array.from({ length: 20 }, (_, i) => json({ name: `t${i}`, run: 'sleep 0.1', inputs: [`in-${i % 2}.bin`] }))
    await fs.writeFile(path.join(dir, 'seed.txt'), seed.join('\n'))
    await fs.writeFile(path.join(dir, 'tasks.txt'), tasks.join('\n'))
    const args = ['--peer', alpha.peer, '--peer', beta.peer, '--json']

    const first = await distw(['submit', 'seed.txt', ...args], { cwd: dir })
    const second = await distw(['submit', 'tasks.txt', ...args], { cwd: dir })

    expect(first.exitCode).toBe(0)
    expect(second.exitCode).toBe(0)
    const ends = [...finished(second.stdout).values()]
    expect(ends).toHaveLength(20)
    expect(ends.reduce((sum, e) => sum + e.bytesUp, 0)).toBe(0)
    expect(ends.filter((e) => e.node !== (Number(e.task.slice(1)) % 2 === 0 ? 'alpha' : 'beta'))).toEqual([])
  }, 120_000)
})
