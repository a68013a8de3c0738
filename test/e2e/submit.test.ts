// The walking skeleton end to end: a real daemon process, the built `distw submit`, real files.
import { randomBytes } from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { distw, spawnDaemon, tempDir } from '../helpers/cli.js'
import { closedPort } from '../helpers/ports.js'

const json = (task: object) => JSON.stringify(task)

describe('distw submit against a real daemon', () => {
  it('returns created files byte-exact, nested and binary, and a modified input', async () => {
    const node = await spawnDaemon(['--slots', '2'])
    const dir = await tempDir()
    const blob = randomBytes(5 * 1024 * 1024 + 123)
    await fs.writeFile(path.join(dir, 'input.bin'), blob)
    await fs.writeFile(path.join(dir, 'notes.txt'), 'first\n')
    const tasks = [
      json({ name: 'copy', run: 'mkdir -p deep/new/dir && cp input.bin deep/new/dir/copy.bin', inputs: ['input.bin'] }),
      json({ name: 'append', run: 'echo second >> notes.txt', inputs: ['notes.txt'] }),
    ].join('\n')
    await fs.writeFile(path.join(dir, 'tasks.txt'), tasks)

    const run = await distw(['submit', 'tasks.txt', '--peer', node.peer], { cwd: dir })

    expect(run.stderr).toContain('2 succeeded')
    expect(run.exitCode).toBe(0)
    expect((await fs.readFile(path.join(dir, 'deep/new/dir/copy.bin'))).equals(blob)).toBe(true)
    expect(await fs.readFile(path.join(dir, 'notes.txt'), 'utf8')).toBe('first\nsecond\n')
  })

  it('streams stdout and stderr per task, and a failing task fails the batch by name', async () => {
    const node = await spawnDaemon()
    const dir = await tempDir()
    const tasks = ['echo hello from one', 'echo oops >&2; exit 3', json({ name: 'quiet', run: 'true' })].join('\n')
    await fs.writeFile(path.join(dir, 'tasks.txt'), tasks)

    const run = await distw(['submit', 'tasks.txt', '--peer', node.peer], { cwd: dir })

    expect(run.exitCode).toBe(1)
    expect(run.stdout).toContain('[task-1] hello from one')
    expect(run.stderr).toContain('[task-2] oops')
    expect(run.stderr).toMatch(/failed: task-2 \(line 2\).*exit code 3/)
    expect(run.stderr).toContain('2 succeeded, 1 failed')
  })

  it('ends an empty batch at once, looking for no node (a --peer that would refuse is not dialled)', async () => {
    const dir = await tempDir()
    await fs.writeFile(path.join(dir, 'tasks.txt'), '# nothing to do yet\n\n')
    const run = await distw(['submit', 'tasks.txt', '--peer', `127.0.0.1:${await closedPort()}`], { cwd: dir })
    expect(run.exitCode, run.stderr).toBe(0)
    expect(run.stderr).toContain('0 tasks: 0 succeeded, 0 failed')
    const none = await distw(['run', 'echo', ':::'], { cwd: dir })
    expect(none.exitCode, none.stderr).toBe(0)
  })

  it('reads tasks from standard input with -', async () => {
    const node = await spawnDaemon()
    const dir = await tempDir()
    const run = await distw(['submit', '-', '--peer', node.peer], { cwd: dir, input: 'echo piped > piped.txt\n' })
    expect(run.exitCode).toBe(0)
    expect(await fs.readFile(path.join(dir, 'piped.txt'), 'utf8')).toBe('piped\n')
  })

  // oclif reads piped input into a missing argument unless told not to: the task lines became a file
  // name ("cannot read task file echo ok…") whenever the pipe had ended within its 10 ms.
  it('reads tasks piped in without -, the pipe already closed, and names a bad line <stdin>:N', async () => {
    const node = await spawnDaemon()
    const dir = await tempDir()
    const good = await distw(['submit', '--peer', node.peer], { cwd: dir, input: 'echo piped > piped.txt\n' })
    expect(good.exitCode, good.stderr).toBe(0)
    expect(await fs.readFile(path.join(dir, 'piped.txt'), 'utf8')).toBe('piped\n')
    const bad = await distw(['submit', '--peer', node.peer], { cwd: dir, input: 'echo ok\n{"run": 5}\n' })
    expect(bad.exitCode).toBe(2)
    expect(bad.stderr).toMatch(/^distw: <stdin>:2: field "run"/m)
    // A pipe is a stream: each bad line is said as it is read, a missing input as much as a bad field.
    const both = await distw(['submit', '--peer', node.peer], { cwd: dir, input: '{"run":"cat x","inputs":["nope.txt"]}\n{"run": 5}\n' })
    expect(both.exitCode).toBe(2)
    expect(both.stderr).toMatch(/^distw: <stdin>:1: task-1: input "nope.txt" not found\ndistw: <stdin>:2: field "run"/m)
  })

  // A repeatable flag took every word after it: the file became a second peer, and stdin was read.
  it('reads FILE given after --peer, and after two of them', async () => {
    const node = await spawnDaemon()
    const dir = await tempDir()
    await fs.writeFile(path.join(dir, 'jobs.txt'), 'echo after > after.txt\n')
    const run = await distw(['submit', '--peer', node.peer, '--peer', node.peer, 'jobs.txt'], { cwd: dir })
    expect(run.exitCode, run.stderr).toBe(0)
    expect(await fs.readFile(path.join(dir, 'after.txt'), 'utf8')).toBe('after\n')
  })

  // `distw submit --json … | head -1`: the write that found the pipe closed crashed the submitter
  // with an uncaught EPIPE, and a JSON reporter waiting for 'drain' would have held the batch forever.
  it('ends the batch as Ctrl-C does when its stdout reader goes away, with exit code 141 (128 + SIGPIPE)', async () => {
    const node = await spawnDaemon()
    const dir = await tempDir()
    const started = Date.now()
    const run = distw(['submit', '--json', '--peer', node.peer], { cwd: dir, input: 'sleep 3; echo late\n'.repeat(20) })
    run.stdout?.once('data', () => run.stdout?.destroy())
    const result = await run
    expect(result.stderr).not.toMatch(/EPIPE|Error:/)
    expect(result.exitCode).toBe(141)
    // 20 tasks of 3 s on 2 slots take 30 s; the running ones were cancelled instead.
    expect(Date.now() - started).toBeLessThan(15_000)
  })

  it('round-trips names and argv with spaces and Unicode', async () => {
    const node = await spawnDaemon()
    const dir = await tempDir()
    const name = 'café ☕ task'
    const arg = 'naïve file ✓.txt'
    await fs.writeFile(
      path.join(dir, 'tasks.txt'),
      json({ name, argv: ['touch', arg] }) + '\n' + json({ name: 'écho', argv: ['echo', 'ünï côdé'] }),
    )

    const run = await distw(['submit', 'tasks.txt', '--peer', node.peer], { cwd: dir })

    expect(run.exitCode).toBe(0)
    await fs.access(path.join(dir, arg))
    expect(run.stdout).toContain('[écho] ünï côdé')
    expect(run.stderr).not.toContain(name + ' failed')
  })

  it('refuses a missing input before anything runs, naming the line', async () => {
    const node = await spawnDaemon()
    const dir = await tempDir()
    await fs.writeFile(
      path.join(dir, 'tasks.txt'),
      ['touch ran.txt', json({ name: 'needs', run: 'cat nope.txt', inputs: ['nope.txt'] })].join('\n'),
    )

    const run = await distw(['submit', 'tasks.txt', '--peer', node.peer], { cwd: dir })

    expect(run.exitCode).toBe(2)
    expect(run.stderr).toContain('tasks.txt:2:')
    expect(run.stderr).toContain('nope.txt')
    await expect(fs.access(path.join(dir, 'ran.txt'))).rejects.toThrow()
  })

  it('names the line of an invalid task and sends nothing', async () => {
    const node = await spawnDaemon()
    const dir = await tempDir()
    await fs.writeFile(
      path.join(dir, 'tasks.txt'),
      ['touch ran.txt', '# fine', '', '{"run": "true", "retries": -1}', '{not json'].join('\r\n'),
    )

    const run = await distw(['submit', 'tasks.txt', '--peer', node.peer], { cwd: dir })

    expect(run.exitCode).toBe(2)
    expect(run.stderr).toContain('tasks.txt:4:')
    expect(run.stderr).toContain('tasks.txt:5:')
    await expect(fs.access(path.join(dir, 'ran.txt'))).rejects.toThrow()
  })

  it('runs two tasks at once on a 2-slot node (measured by overlap)', async () => {
    const node = await spawnDaemon(['--slots', '2'])
    const dir = await tempDir()
    // Each task records when it started and when it ended; the intervals must overlap.
    const task = (n: number) => `date +%s%N > start-${n}; sleep 0.3; date +%s%N > end-${n}`
    await fs.writeFile(path.join(dir, 'tasks.txt'), `${task(1)}\n${task(2)}\n`)

    const run = await distw(['submit', 'tasks.txt', '--peer', node.peer], { cwd: dir })

    expect(run.exitCode).toBe(0)
    const read = async (f: string) => BigInt((await fs.readFile(path.join(dir, f), 'utf8')).trim())
    const [s1, e1, s2, e2] = await Promise.all(['start-1', 'end-1', 'start-2', 'end-2'].map(read))
    expect(s1! < e2! && s2! < e1!).toBe(true)
  })

  it('falls back to an embedded local node when no peer is given', async () => {
    const dir = await tempDir()
    const run = await distw(['submit', '-'], { cwd: dir, input: 'echo local > local.txt\n' })
    expect(run.exitCode).toBe(0)
    expect(await fs.readFile(path.join(dir, 'local.txt'), 'utf8')).toBe('local\n')
  })

  // Links and FIFOs a task made were left out without a word: the README said "reported as skipped".
  it('says which files a task made were not returned, and why', async () => {
    const node = await spawnDaemon()
    const dir = await tempDir()
    const run = await distw(['submit', '-', '--peer', node.peer], {
      cwd: dir,
      input: json({ name: 'odd', run: 'echo x > real.txt; ln -s real.txt link; ln -s /etc/hostname abs; mkfifo pipe' }),
    })
    expect(run.exitCode, run.stderr).toBe(0)
    expect(run.stderr).toMatch(/odd: not returned: (abs, link|link, abs): symbolic links are not returned; pipe: not a regular file/)
    expect(await fs.readFile(path.join(dir, 'real.txt'), 'utf8')).toBe('x\n')
  })

  // Each unreachable node was said twice: as a warning, then again as the error that ended the batch.
  it('says once per node that no given node can be reached, and exits 3 with what to do', async () => {
    const dir = await tempDir()
    const [a, b] = [await closedPort(), await closedPort()]
    const one = await distw(['submit', '-', '--peer', `127.0.0.1:${a}`], { cwd: dir, input: 'true\n' })
    expect(one.exitCode).toBe(3)
    expect(one.stderr.match(/cannot reach node/g)).toHaveLength(1)
    expect(one.stderr).toContain('check that `distw daemon` runs there')
    const two = await distw(['submit', '-', '--peer', `127.0.0.1:${a}`, '--peer', `127.0.0.1:${b}`], { cwd: dir, input: 'true\n' })
    expect(two.exitCode).toBe(3)
    expect(two.stderr).toContain('none of the 2 nodes could be reached')
    expect(two.stderr.match(/cannot reach node/g)).toHaveLength(2)
    expect(two.stderr).not.toContain('warning')
  })

  it('writes under --out DIR/<task>/ when asked', async () => {
    const node = await spawnDaemon()
    const dir = await tempDir()
    const run = await distw(['submit', '-', '--peer', node.peer, '--out', 'results'], {
      cwd: dir,
      input: json({ name: 'a', run: 'echo x > x.txt' }),
    })
    expect(run.exitCode).toBe(0)
    expect(await fs.readFile(path.join(dir, 'results/a/x.txt'), 'utf8')).toBe('x\n')
  })
})

// A loopback port nothing listens on: bound, then released.
