// The README's `distw submit` lines that need no other machine, verbatim, in a network namespace of
// their own: there discovery finds nothing (the machine's own daemons and other tests' are out of
// reach), so the batch runs on an embedded local node, as the README says.
import fs from 'node:fs/promises'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { tempDir } from '../helpers/cli.js'
import { lanUnavailable, makeLan, type Lan, type LanHost } from '../helpers/netns.js'
import { readmeExample } from '../helpers/readme.js'

const skip = lanUnavailable()
if (skip) console.log(`skipping the README submit lines: ${skip}`)

// Task lines as the README shows them: a plain line that sends the file it names, and a JSON one.
const TASKS = 'gzip -9 -k big.log\n{"name":"frame-7","run":"echo frame 7 > frame-7.txt; echo rendered"}\n'

describe.skipIf(skip !== undefined)('the README’s submit lines, verbatim, with nothing else on the LAN', { timeout: 120_000 }, () => {
  let lan: Lan
  let dir: string
  let run: (line: string) => ReturnType<Lan['shell']>
  beforeEach(async () => {
    lan = await makeLan(1)
    dir = await tempDir()
    await fs.writeFile(path.join(dir, 'big.log'), 'a log line\n'.repeat(1000))
    const env = { HOME: dir, XDG_CONFIG_HOME: path.join(dir, '.config'), XDG_CACHE_HOME: path.join(dir, '.cache') }
    run = (line) => lan.shell(lan.hosts[0] as LanHost, line, { cwd: dir, env })
  })
  afterEach(async () => {
    await lan.destroy()
  })

  it('distw submit tasks.txt, then --out results: files at their paths, then under results/<task name>/', async () => {
    await fs.writeFile(path.join(dir, 'tasks.txt'), TASKS)
    const plain = await run(readmeExample('distw submit tasks.txt'))
    expect(plain.exitCode, plain.stderr).toBe(0)
    expect(plain.stdout).toContain('[frame-7] rendered')
    expect(await fs.readFile(path.join(dir, 'frame-7.txt'), 'utf8')).toBe('frame 7\n')
    expect((await fs.stat(path.join(dir, 'big.log.gz'))).size).toBeGreaterThan(0)

    const out = await run(readmeExample('distw submit tasks.txt --out results'))
    expect(out.exitCode, out.stderr).toBe(0)
    expect(await fs.readFile(path.join(dir, 'results/frame-7/frame-7.txt'), 'utf8')).toBe('frame 7\n')
    expect((await fs.stat(path.join(dir, 'results/task-1/big.log.gz'))).size).toBeGreaterThan(0)
  })

  it('GLIBC_TUNABLES=… distw submit jobs.txt: the same batch, the returned file whole', async () => {
    await fs.writeFile(path.join(dir, 'jobs.txt'), 'head -c 5000000 /dev/zero > zeros.bin\n')
    const batch = await run(
      readmeExample('GLIBC_TUNABLES=glibc.malloc.mmap_threshold=4194304:glibc.malloc.trim_threshold=33554432 distw submit jobs.txt'),
    )
    expect(batch.exitCode, batch.stderr).toBe(0)
    expect((await fs.stat(path.join(dir, 'zeros.bin'))).size).toBe(5_000_000)
  })
})
