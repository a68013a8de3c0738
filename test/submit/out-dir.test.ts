// `--out DIR` is checked before anything runs (issue 19 item 6): a file is a usage error, not "node
// lost" three times with re-runs; a folder under /proc fails at once instead of spinning.
import fs from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { distw, tempDir } from '../helpers/cli.js'

describe('submit --out', () => {
  it('an existing file is a usage error before any task runs', async () => {
    const dir = await tempDir()
    await fs.writeFile(path.join(dir, 'results'), 'not a folder')
    const run = await distw(['submit', '-', '--out', 'results'], { cwd: dir, input: 'echo ran > ran.txt\n' })
    expect(run.exitCode).toBe(2)
    expect(run.stderr).toContain(`--out ${path.join(dir, 'results')} is not a folder`)
    expect(run.stderr).not.toContain('lost')
    await expect(fs.access(path.join(dir, 'ran.txt'))).rejects.toThrow()
  })

  it.each(['/proc/self/out', '/proc/distw-out/a'])('%s fails at once with the reason, no spinning', async (out) => {
    const dir = await tempDir()
    const run = await distw(['submit', '-', '--out', out], { cwd: dir, input: 'echo ran > ran.txt\n' })
    expect(run.exitCode).toBe(2)
    expect(run.stderr).toContain(`cannot write the returned files into --out ${out}`)
  })

  it('a missing folder is made, and the files land in it per task', async () => {
    const dir = await tempDir()
    const run = await distw(['submit', '-', '--out', 'new/deep'], { cwd: dir, input: '{"name":"t","run":"echo ran > ran.txt"}\n' })
    expect(run.exitCode).toBe(0)
    expect(await fs.readFile(path.join(dir, 'new/deep/t/ran.txt'), 'utf8')).toBe('ran\n')
    // The write check leaves nothing behind.
    expect(await fs.readdir(path.join(dir, 'new/deep'))).toEqual(['t'])
  })
})
