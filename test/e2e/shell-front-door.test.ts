// The shell front door (issue 25): plain lines carry the files they name, `distw run` speaks GNU
// Parallel, and the staples (--dry-run, -k, --no-tag, -j, a closed stdout) behave, against real daemons.
import fs from 'node:fs/promises'
import net from 'node:net'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { distw, shell, spawnDaemon, tempDir } from '../helpers/cli.js'
import { readmeExample } from '../helpers/readme.js'

// Several CLI runs a test, each starting a Node process: slow on a loaded 2-core machine.
describe('the README’s shell examples, verbatim, against a real daemon', { timeout: 120_000 }, () => {
  it('sends the files a piped plain line names (sha256sum data/part-N.bin, gzip -k FILE)', async () => {
    const node = await spawnDaemon(['--slots', '2'])
    const dir = await tempDir()
    await fs.mkdir(path.join(dir, 'data'))
    for (const i of [1, 2, 3]) await fs.writeFile(path.join(dir, 'data', `part-${i}.bin`), `part ${i}\n`)
    await fs.writeFile(path.join(dir, 'one.txt'), 'one\n')
    await fs.writeFile(path.join(dir, 'two.txt'), 'two\n')
    const env = { DISTW_PEERS: node.peer }

    const sums = await shell(readmeExample(`seq 1 3 | sed 's/.*/sha256sum data\\/part-&.bin/' | distw submit`), { cwd: dir, env })
    expect(sums.exitCode, sums.stderr).toBe(0)
    expect(sums.stdout).toMatch(/\[task-2\] [0-9a-f]{64} {2}data\/part-2\.bin/)

    const gz = await shell(readmeExample(`ls *.txt | sed 's/.*/gzip -k &/' | distw submit`), { cwd: dir, env })
    expect(gz.exitCode, gz.stderr).toBe(0)
    expect((await fs.readdir(dir)).sort()).toEqual(['data', 'one.txt', 'one.txt.gz', 'two.txt', 'two.txt.gz'])

    await fs.mkdir(path.join(dir, 'logs'))
    for (const [name, lines] of [
      ['a.log', 'x\n'],
      ['b.log', 'x\ny\n'],
      ['.c.log', 'hidden\n'],
    ])
      await fs.writeFile(path.join(dir, 'logs', name!), lines!)
    const globbed = await shell(readmeExample(`echo 'wc -l logs/*.log' | distw submit`), { cwd: dir, env })
    expect(globbed.exitCode, globbed.stderr).toBe(0)
    expect(globbed.stdout.replace(/ +/g, ' ')).toBe('[task-1] 1 logs/a.log\n[task-1] 2 logs/b.log\n[task-1] 3 total')
  })

  it('distw run: one task per ::: argument or stdin line; odd file names are one argument, never code', async () => {
    const node = await spawnDaemon(['--slots', '2'])
    const dir = await tempDir()
    const odd = `a b;rm -rf x.txt`
    for (const name of [odd, `it's "q".txt`, 'x.txt']) await fs.writeFile(path.join(dir, name), `${name}\n`)
    const env = { DISTW_PEERS: node.peer }

    const run = await shell(readmeExample('distw run gzip -k {} ::: *.txt'), { cwd: dir, env })
    expect(run.exitCode, run.stderr).toBe(0)
    const files = await fs.readdir(dir)
    expect(files).toEqual(expect.arrayContaining([`${odd}.gz`, `it's "q".txt.gz`, 'x.txt', 'x.txt.gz']))

    await fs.mkdir(path.join(dir, 'piped'))
    await fs.writeFile(path.join(dir, 'piped', 'p.txt'), 'p\n')
    const piped = await shell(readmeExample('ls *.txt | distw run gzip -k {}'), { cwd: path.join(dir, 'piped'), env })
    expect(piped.exitCode, piped.stderr).toBe(0)
    expect(await fs.readdir(path.join(dir, 'piped'))).toEqual(['p.txt', 'p.txt.gz'])
  })

  it('distw run: groups combine as every pairing; the command itself is shell code', async () => {
    const node = await spawnDaemon(['--slots', '2'])
    const dir = await tempDir()
    await fs.writeFile(path.join(dir, 'w.log'), 'b\na\nb\n')
    const env = { DISTW_PEERS: node.peer }
    const pairs = await shell(`${readmeExample('distw run echo {1} {2} ::: a b ::: 1 2')} | sort`, { cwd: dir, env })
    expect(pairs.stdout).toBe('[task-1] a 1\n[task-2] a 2\n[task-3] b 1\n[task-4] b 2')
    const code = await shell(readmeExample(`distw run 'sort {} | uniq -c' ::: *.log`), { cwd: dir, env })
    expect(code.exitCode, code.stderr).toBe(0)
    expect(code.stdout.replace(/ +/g, ' ')).toBe('[task-1] 1 a\n[task-1] 2 b')
  })

  it('--dry-run prints each task with its inputs and connects to nothing', async () => {
    const dir = await tempDir()
    await fs.writeFile(path.join(dir, 'a.jpg'), 'jpg')
    await fs.writeFile(path.join(dir, 'b c.jpg'), 'jpg')
    let connections = 0
    const server = net.createServer((socket) => {
      connections++
      socket.destroy()
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const port = (server.address() as net.AddressInfo).port
    try {
      const run = await shell(readmeExample('distw run --dry-run convert {} {.}.png ::: *.jpg'), {
        cwd: dir,
        env: { DISTW_PEERS: `127.0.0.1:${port}` },
      })
      expect(run.exitCode, run.stderr).toBe(0)
      expect(run.stdout).toBe(`[task-1] convert a.jpg a.png  # inputs: a.jpg\n[task-2] convert 'b c.jpg' 'b c'.png  # inputs: 'b c.jpg'`)
      const submitted = await distw(['submit', '-', '--dry-run', '--no-tag', '--peer', `127.0.0.1:${port}`], {
        cwd: dir,
        input: 'cat a.jpg\n',
      })
      expect(submitted.stdout).toBe('cat a.jpg  # inputs: a.jpg')
      expect(connections).toBe(0)
    } finally {
      server.close()
    }
  })
})

describe('plain lines carry their files', { timeout: 120_000 }, () => {
  it('does not send a word outside the submit folder and warns once, naming the task', async () => {
    const node = await spawnDaemon()
    const parent = await tempDir()
    const dir = path.join(parent, 'work')
    await fs.mkdir(dir)
    await fs.writeFile(path.join(parent, 'x'), 'secret\n')
    await fs.writeFile(path.join(dir, 'in.txt'), 'in\n')
    const run = await distw(['submit', '-', '--peer', node.peer], {
      cwd: dir,
      input: 'cat in.txt ../x ../x\n{"run":"cat in.txt","inputs":[]}\n',
    })
    expect(run.exitCode).toBe(1)
    expect(run.stderr.match(/task-1: \.\.\/x is outside the submit folder and was not sent/g)).toHaveLength(1)
    expect(run.stdout).toContain('[task-1] in')
    expect(run.stderr).toContain('[task-2] cat: in.txt: No such file or directory')
    const off = await distw(['submit', '-', '--no-auto-inputs', '--peer', node.peer], { cwd: dir, input: 'cat in.txt\n' })
    expect(off.exitCode).toBe(1)
  })
})

describe('the GNU Parallel staples', { timeout: 120_000 }, () => {
  it('-k prints in line order; --no-tag passes the bytes as they are', async () => {
    const node = await spawnDaemon(['--slots', '3'])
    const dir = await tempDir()
    const ordered = await distw(['run', '-k', 'sleep {}; echo {}', ':::', '1.5', '0.7', '0'], { cwd: dir, env: { DISTW_PEERS: node.peer } })
    expect(ordered.exitCode, ordered.stderr).toBe(0)
    expect(ordered.stdout).toBe('[task-1] 1.5\n[task-2] 0.7\n[task-3] 0') // execa drops the last newline

    await fs.writeFile(path.join(dir, 'a'), Buffer.from([0, 1, 2, 0xe2]))
    await fs.writeFile(path.join(dir, 'b'), Buffer.from([0x82, 0xac, 10, 255]))
    const cat = await shell(readmeExample('distw run -k --no-tag cat ::: a b > all'), { cwd: dir, env: { DISTW_PEERS: node.peer } })
    expect(cat.exitCode, cat.stderr).toBe(0)
    expect(await fs.readFile(path.join(dir, 'all'))).toEqual(Buffer.from([0, 1, 2, 0xe2, 0x82, 0xac, 10, 255]))
  })

  it('--bar off a terminal prints the progress line once a second while it changes; without it, none', async () => {
    const node = await spawnDaemon(['--slots', '2'])
    const dir = await tempDir()
    const env = { DISTW_PEERS: node.peer }
    const bar = await shell(readmeExample('distw run --bar -j 1 sleep ::: 1 1 1 2> progress.log'), { cwd: dir, env })
    expect(bar.exitCode, bar.stderr).toBe(0)
    const lines = (await fs.readFile(path.join(dir, 'progress.log'), 'utf8')).split('\n').filter((l) => l.includes(' done · '))
    // Three 1 s tasks one at a time: a line at least at 1 s and 2 s, each differing from the one before.
    expect(lines.length, lines.join('\n')).toBeGreaterThanOrEqual(2)
    for (const line of lines) expect(line).toMatch(/^distw: [0-3]\/3 done · [01] running · 0 failed · 1 node( · ETA \d+s)?$/)
    expect(new Set(lines).size).toBe(lines.length)
    const done = lines.map((l) => Number(/: (\d)\//.exec(l)?.[1]))
    expect(done).toEqual([...done].sort())

    // GNU Parallel's names for it are taken too; without it, a pipe gets no progress line.
    const plain = await distw(['run', '--eta', '--progress', 'true', ':::', '1'], { cwd: dir, env })
    expect(plain.exitCode, plain.stderr).toBe(0)
    const none = await distw(['run', '-j', '1', 'sleep', ':::', '1.5'], { cwd: dir, env })
    expect(none.stderr).not.toContain(' done · ')
  })

  it('-j N runs at most N of the batch at once, whatever the free slots', async () => {
    const node = await spawnDaemon(['--slots', '4'])
    const dir = await tempDir()
    const run = await distw(['run', '-j', '1', '--json', 'sleep 0.2', ':::', '1', '2', '3'], { cwd: dir, env: { DISTW_PEERS: node.peer } })
    expect(run.exitCode, run.stderr).toBe(0)
    const events = run.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { event: string })
      .filter((e) => e.event === 'task-started' || e.event === 'task-finished')
      .map((e) => e.event)
    expect(events).toEqual(['task-started', 'task-finished', 'task-started', 'task-finished', 'task-started', 'task-finished'])
  })

  it('GNU Parallel and xargs input habits: -0, :::+, --colsep, -N', async () => {
    const node = await spawnDaemon(['--slots', '2'])
    const dir = await tempDir()
    const env = { DISTW_PEERS: node.peer }
    await fs.mkdir(path.join(dir, 'logs'))
    for (const name of ['a.log', 'b c.log', `it's.log`]) await fs.writeFile(path.join(dir, 'logs', name), `${name}\n`)
    const zero = await shell(readmeExample(`find . -name '*.log' -print0 | distw run -0 gzip -k`), { cwd: dir, env })
    expect(zero.exitCode, zero.stderr).toBe(0)
    expect((await fs.readdir(path.join(dir, 'logs'))).filter((f) => f.endsWith('.gz')).sort()).toEqual([
      'a.log.gz',
      'b c.log.gz',
      `it's.log.gz`,
    ])
    // A name the wire cannot carry is that task's error, said before it is sent; the others run.
    await fs.writeFile(path.join(dir, 'logs', 'new\nline.log'), 'x\n')
    const odd = await shell(`find logs -name '*.log' -print0 | distw run -0 wc -c`, { cwd: dir, env })
    expect(odd.exitCode).toBe(2)
    expect(odd.stderr).toContain(
      '"logs/new\\nline.log": its name has a control character (a newline, a tab…), which distw cannot send; rename it',
    )
    expect(odd.stderr).toContain('3 succeeded')
    expect(odd.stderr).not.toContain('lost')

    await fs.writeFile(path.join(dir, 'a.txt'), 'A'.repeat(300))
    await fs.writeFile(path.join(dir, 'b.txt'), 'B'.repeat(300))
    const paired = await shell(readmeExample('distw run cp {1} {2} ::: a.txt b.txt :::+ a.bak b.bak'), { cwd: dir, env })
    expect(paired.stderr).toContain('2 tasks: 2 succeeded')
    expect(await fs.readFile(path.join(dir, 'b.bak'), 'utf8')).toBe('B'.repeat(300))
    expect(await fs.readFile(path.join(dir, 'a.bak'), 'utf8')).toBe('A'.repeat(300))

    await fs.writeFile(path.join(dir, 'cuts.csv'), 'a.txt,100\nb.txt,3\n')
    const cols = await shell(`${readmeExample('distw run --colsep , head -c {2} {1} :::: cuts.csv')} | sort`, { cwd: dir, env })
    expect(cols.stdout.split('\n').filter(Boolean)).toEqual([`[task-1] ${'A'.repeat(100)}`, '[task-2] BBB'])

    const two = await shell(readmeExample('distw run -N 2 cmp ::: a.txt a.bak b.txt b.bak'), { cwd: dir, env })
    expect(two.exitCode, two.stderr).toBe(0)
    expect(two.stderr).toContain('2 tasks: 2 succeeded')
  })

  it('ends quietly when the reader of its output goes away (| head)', async () => {
    const node = await spawnDaemon(['--slots', '2'])
    const dir = await tempDir()
    const run = await shell(`{ distw run 'echo {}; sleep 0.5' ::: $(seq 1 30); echo $? > rc; } | head -n 1`, {
      cwd: dir,
      env: { DISTW_PEERS: node.peer },
    })
    expect(run.exitCode).toBe(0)
    expect(run.stdout).toMatch(/^\[task-\d+\] \d+$/)
    expect(await fs.readFile(path.join(dir, 'rc'), 'utf8')).toBe('141\n')
    expect(run.stderr).toBe('')
  })
})
