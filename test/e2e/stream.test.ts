// Task lines from a pipe are a stream (issue 25 item 2), against a real daemon: a slow producer's first
// task finishes before it writes its second line; a bad line mid-stream is reported with its number
// while the others run (exit 2); `after` may name a later line; a name no line had is an error at the
// end; `distw run`'s stdin form streams too; -k, --joblog/--resume and --dry-run work on a stream.
import fs from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { distw, shell, spawnDaemon, tempDir } from '../helpers/cli.js'
import { readmeExample } from '../helpers/readme.js'
import { within } from '../helpers/wait.js'

type Event = Record<string, unknown> & { event: string }

// A `--json` submit whose stdin the test writes: `next(match)` resolves with the first event that
// matches (already seen, or still to come), so the producer can wait for a task before its next line.
function jsonRun(args: string[], cwd: string) {
  // --json goes before `distw run`'s command words, which are the rest of its arguments.
  const [command = '', ...words] = args
  const child = distw([command, '--json', ...words], { cwd, pipe: true })
  const events: Event[] = []
  const waiters: { match: (e: Event) => boolean; resolve: (e: Event) => void }[] = []
  let rest = ''
  child.stdout?.on('data', (data: Buffer) => {
    const lines = (rest + data.toString()).split('\n')
    rest = lines.pop() ?? ''
    for (const line of lines) {
      const event = JSON.parse(line) as Event
      events.push(event)
      for (const w of waiters.splice(0))
        if (w.match(event)) w.resolve(event)
        else waiters.push(w)
    }
  })
  const next = (match: (e: Event) => boolean, what: string): Promise<Event> => {
    const seen = events.find(match)
    if (seen) return Promise.resolve(seen)
    return within(new Promise<Event>((resolve) => waiters.push({ match, resolve })), 60_000, what)
  }
  const write = (line: string) => child.stdin?.write(`${line}\n`)
  return { child, events, next, write }
}

const finished = (task: string) => (e: Event) => e.event === 'task-finished' && e.task === task

describe('task lines from a pipe run as they arrive', { timeout: 120_000 }, () => {
  it('a slow producer’s first task finishes before it writes its second line', async () => {
    const node = await spawnDaemon(['--slots', '2'])
    const dir = await tempDir()
    const run = jsonRun(['submit', '-', '--peer', node.peer], dir)
    run.write('echo first > first.txt')
    // The file is back before line 2 exists: nothing waited for the end of stdin.
    await run.next(finished('task-1'), 'task-1 to finish while stdin is still open')
    expect(await fs.readFile(path.join(dir, 'first.txt'), 'utf8')).toBe('first\n')
    run.write('echo second')
    run.child.stdin?.end()
    const result = await run.child
    expect(result.exitCode, result.stderr).toBe(0)
    const order = run.events
      .filter((e) => e.event === 'task-queued' || e.event === 'task-finished')
      .map((e) => `${e.event} ${String(e.task)}`)
    expect(order).toEqual(['task-queued task-1', 'task-finished task-1', 'task-queued task-2', 'task-finished task-2'])
  })

  it('the README’s slow producer, verbatim', async () => {
    const node = await spawnDaemon(['--slots', '2'])
    const command = readmeExample(`(echo 'echo first'; sleep 6; echo 'echo second') | distw submit`)
    const run = await shell(command, { cwd: await tempDir(), env: { DISTW_PEERS: node.peer } })
    expect(run.exitCode, run.stderr).toBe(0)
    // In which order they end is up to a loaded machine (with 2 slots, task 1 may still run when task 2
    // comes): the ordering itself is asserted on events in the test above.
    expect(run.stdout.split('\n').sort()).toEqual(['[task-1] first', '[task-2] second'])
  })

  it('reports a bad line with its number at once, runs the others, and exits 2', async () => {
    const node = await spawnDaemon(['--slots', '2'])
    const dir = await tempDir()
    const run = jsonRun(['submit', '-', '--peer', node.peer], dir)
    run.write('echo one')
    run.write('{"run": "echo two"')
    const rejected = await run.next((e) => e.event === 'line-rejected', 'line 2 to be rejected while stdin is open')
    expect(rejected).toMatchObject({ source: '<stdin>', line: 2 })
    run.write('echo three')
    run.child.stdin?.end()
    const result = await run.child
    expect(result.exitCode).toBe(2)
    expect(
      run.events
        .filter((e) => e.event === 'task-finished')
        .map((e) => `${String(e.task)} ${String(e.status)}`)
        .sort(),
    ).toEqual(['task-1 succeeded', 'task-3 succeeded'])
    expect(run.events.at(-1)).toMatchObject({ event: 'batch-finished', exitCode: 2, succeeded: 2, rejected: 1 })
  })

  it('after may name a later line; a name no line had is an error at the end, its dependents skipped', async () => {
    const node = await spawnDaemon(['--slots', '2'])
    const dir = await tempDir()
    const lines = [
      '{"name":"b","run":"cat a.txt","after":"a"}',
      '{"name":"a","run":"echo made-by-a > a.txt"}',
      '{"name":"c","run":"true","after":"nobody"}',
      '{"name":"d","run":"true","after":"c"}',
      'echo plain',
    ]
    const result = await distw(['submit', '-', '--peer', node.peer], { cwd: dir, input: `${lines.join('\n')}\n` })
    expect(result.exitCode).toBe(2)
    expect(result.stdout).toContain('[b] made-by-a')
    expect(result.stdout).toContain('[task-5] plain')
    // Said once as it happens (as the bad line it is, not again as c's failure), then once in the summary.
    const said = result.stderr.split('\n').filter((l) => l.includes('"after" names "nobody"'))
    expect(said).toEqual([
      'distw: <stdin>:3: "after" names "nobody", but no task has that name',
      expect.stringMatching(/^ +failed: c \(line 3\): /),
    ])
    expect(result.stderr).toContain('skipped: d (line 4): skipped because c failed')
  })

  it('distw run reads its arguments from stdin as a stream, {#} numbering them', async () => {
    const node = await spawnDaemon(['--slots', '2'])
    const dir = await tempDir()
    const run = jsonRun(['run', '--peer', node.peer, 'echo', '{#}', '{}'], dir)
    run.write('x y')
    const first = await run.next((e) => e.event === 'task-output' && e.task === 'task-1', 'the first argument’s output')
    expect(first.data).toBe('1 x y\n')
    run.write('z')
    run.child.stdin?.end()
    const result = await run.child
    expect(result.exitCode, result.stderr).toBe(0)
    expect(run.events).toContainEqual(expect.objectContaining({ event: 'task-output', task: 'task-2', data: '2 z\n' }))
  })

  it('-k, --joblog with --resume, and --dry-run work on a stream', async () => {
    const node = await spawnDaemon(['--slots', '2'])
    const dir = await tempDir()
    const ordered = await distw(['submit', '-', '-k', '--peer', node.peer], { cwd: dir, input: 'sleep 1; echo 1\necho 2\necho 3\n' })
    expect(ordered.stdout).toBe('[task-1] 1\n[task-2] 2\n[task-3] 3')

    const args = ['submit', '-', '--peer', node.peer, '--joblog', 'jobs.tsv', '--resume']
    const once = await distw(args, { cwd: dir, input: 'echo a\necho b\n' })
    expect(once.exitCode, once.stderr).toBe(0)
    const again = await within(distw([...args, '--json'], { cwd: dir, input: 'echo a\necho b\necho c\n' }), 60_000, 'the resumed run')
    const ran = again.stdout
      .split('\n')
      .map((l) => JSON.parse(l) as Event)
      .filter((e) => e.event === 'task-started')
      .map((e) => e.task)
    expect(ran).toEqual(['task-3'])

    const dry = await distw(['submit', '--dry-run', '-'], { cwd: dir, input: 'cat jobs.tsv\n{"run":"true","after":"ghost"}\n' })
    expect(dry.stdout).toBe('[task-1] cat jobs.tsv  # inputs: jobs.tsv\n[task-2] true')
    expect(dry.stderr).toContain('<stdin>:2: "after" names "ghost", but no task has that name')
    expect(dry.exitCode).toBe(2)
  })
})
