// Inputs produced upstream, end to end with real daemons: a task's inputs may name files the tasks it
// comes after return; they are resolved when it becomes ready (without --out: in the submit folder;
// with --out DIR: in DIR/<dependency>/ first).
import { randomBytes } from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { submit } from '../../src/lib.js'
import { distw, spawnDaemon, tempDir } from '../helpers/cli.js'

const json = (task: object) => JSON.stringify(task)

describe('chains: inputs produced upstream', () => {
  it('A → B: B reads the file A returned (task file and stdin)', async () => {
    const node = await spawnDaemon()
    const dir = await tempDir()
    const tasks = [
      json({ name: 'B', run: 'tr a-z A-Z < a.txt > b.txt', inputs: ['a.txt'], after: ['A'] }),
      json({ name: 'A', run: 'echo hello > a.txt' }),
    ].join('\n')
    await fs.writeFile(path.join(dir, 'tasks.txt'), tasks)

    const result = await distw(['submit', 'tasks.txt', '--peer', node.peer], { cwd: dir })
    expect(result.stderr).not.toContain('not found')
    expect(result.exitCode).toBe(0)
    expect(await fs.readFile(path.join(dir, 'b.txt'), 'utf8')).toBe('HELLO\n')

    const again = await tempDir()
    const piped = await distw(['submit', '--peer', node.peer], { cwd: again, input: tasks })
    expect(piped.exitCode).toBe(0)
    expect(await fs.readFile(path.join(again, 'b.txt'), 'utf8')).toBe('HELLO\n')
  }, 120_000)

  it('a diamond A → B, A → C, B + C → D, every file byte for byte; a plain line finds its file late', async () => {
    const node = await spawnDaemon(['--slots', '2'])
    const dir = await tempDir()
    const seed = randomBytes(300_000)
    await fs.writeFile(path.join(dir, 'seed.bin'), seed)
    const tasks = [
      json({ name: 'D', run: 'cat b.bin c.bin > d.bin', inputs: ['*.bin'], after: ['B', 'C'] }),
      json({ name: 'B', run: 'cat a.bin a.bin > b.bin', inputs: ['a.bin'], after: ['A'] }),
      // No "inputs": the files its command names are sent, looked for when A has run.
      json({ name: 'C', run: 'cp a.bin c.bin && printf x >> c.bin', after: 'A' }),
      json({ name: 'A', run: 'cp seed.bin a.bin', inputs: ['seed.bin'] }),
    ]
    await fs.writeFile(path.join(dir, 'tasks.txt'), tasks.join('\n'))

    const result = await distw(['submit', 'tasks.txt', '--peer', node.peer], { cwd: dir })

    expect(result.stderr).toContain('4 succeeded')
    expect(result.exitCode).toBe(0)
    const b = Buffer.concat([seed, seed])
    const c = Buffer.concat([seed, Buffer.from('x')])
    expect((await fs.readFile(path.join(dir, 'a.bin'))).equals(seed)).toBe(true)
    expect((await fs.readFile(path.join(dir, 'b.bin'))).equals(b)).toBe(true)
    expect((await fs.readFile(path.join(dir, 'c.bin'))).equals(c)).toBe(true)
    expect((await fs.readFile(path.join(dir, 'd.bin'))).equals(Buffer.concat([b, c]))).toBe(true)
  }, 120_000)

  it('a dependency that does not produce the named file fails only its dependents, with the reason', async () => {
    const node = await spawnDaemon(['--slots', '2'])
    const dir = await tempDir()
    const tasks = [
      json({ name: 'A', run: 'echo hi > a.TXT' }),
      json({ name: 'B', run: 'cat a.txt', inputs: ['a.txt'], after: ['A'] }),
      json({ name: 'C', run: 'touch c-ran', after: ['B'] }),
      json({ name: 'other', run: 'sleep 0.5; echo other > other.txt' }),
    ]
    await fs.writeFile(path.join(dir, 'tasks.txt'), tasks.join('\n'))

    const result = await distw(['submit', 'tasks.txt', '--peer', node.peer], { cwd: dir })

    expect(result.exitCode).toBe(1)
    expect(result.stderr).toContain('B failed: input "a.txt" not found after A succeeded; A returned a.TXT')
    expect(result.stderr).toContain('C skipped: skipped because B failed')
    expect(result.stderr).toContain('2 succeeded, 1 failed, 1 skipped')
    expect(await fs.readFile(path.join(dir, 'other.txt'), 'utf8')).toBe('other\n')
    await expect(fs.access(path.join(dir, 'c-ran'))).rejects.toThrow()
  }, 120_000)

  it("--out DIR: a dependent finds its dependency's files in DIR/<dependency>/ (library API)", async () => {
    const node = await spawnDaemon()
    const dir = await tempDir()
    const result = await submit({
      cwd: dir,
      outDir: 'out',
      peers: [node.peer],
      local: 'never',
      tasks: [
        json({ name: 'A', run: 'echo from-a > a.txt' }),
        json({ name: 'B', run: 'cat a.txt a.txt > b.txt', inputs: ['a.txt'], after: ['A'] }),
      ].join('\n'),
    })
    expect(result.results.map((r) => [r.name, r.status, r.reason])).toEqual([
      ['A', 'succeeded', undefined],
      ['B', 'succeeded', undefined],
    ])
    expect(await fs.readFile(path.join(dir, 'out', 'A', 'a.txt'), 'utf8')).toBe('from-a\n')
    expect(await fs.readFile(path.join(dir, 'out', 'B', 'b.txt'), 'utf8')).toBe('from-a\nfrom-a\n')
    await expect(fs.access(path.join(dir, 'a.txt'))).rejects.toThrow()
  }, 120_000)
})
