// Bounds a task cannot break: the node's maximum timeout, the working-folder cap, the output cap (the
// daemon's memory stays flat under 2 GB of stdout) and a full disk (a clear status, the node goes on).
import { execa } from 'execa'
import fs from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { distw, spawnDaemon, tempDir } from '../helpers/cli.js'
import { node, runOne, scratch, stillServes } from './harness.js'

describe('task limits', { timeout: 90_000 }, () => {
  it('caps a task that asks for no timeout (or a longer one) at the node maximum', async () => {
    const d = await node({ policy: { maxTimeoutMs: 400 } })
    for (const timeoutMs of [undefined, 60_000]) {
      const { exit } = await runOne(d, { command: { shell: 'sleep 30' }, ...(timeoutMs ? { timeoutMs } : {}) })
      expect(exit.timedOut).toBe(true)
    }
    const short = await node({ policy: { defaultTimeoutMs: 300, maxTimeoutMs: 60_000 } })
    expect((await runOne(short, { command: { shell: 'sleep 30' } })).exit.timedOut).toBe(true)
    expect((await runOne(short, { command: { shell: 'sleep 0.5' }, timeoutMs: 10_000 })).exit.timedOut).toBe(false)
    // A timeout beyond what a timer holds must not turn into "kill at once".
    const open = await node()
    expect((await runOne(open, { command: { shell: 'sleep 0.3' }, timeoutMs: 2 ** 40 })).exit.timedOut).toBe(false)
  })

  it('stops a task whose working folder grows past --max-task-disk', async () => {
    const d = await node({ maxTaskDiskBytes: 1024 * 1024 })
    const { exit } = await runOne(d, { command: { shell: 'head -c 20000000 /dev/zero > big; sleep 30' } })
    expect(exit.error).toMatch(/--max-task-disk/)
    expect(exit.exitCode).not.toBe(0)
    await stillServes(d)
  })

  it('keeps the daemon memory flat while a task prints 2 GB to stdout', async () => {
    const daemon = await spawnDaemon(['--max-output', '1M'])
    const dir = await tempDir()
    const run = await distw(['submit', '-', '--peer', daemon.peer], { cwd: dir, input: 'head -c 2147483648 /dev/zero | tr "\\0" x\n' })
    expect(run.exitCode).toBe(0)
    expect(run.stdout.length).toBeLessThan(2 * 1024 * 1024)
    expect(run.stdout).toContain('output cut at 1048576 bytes')
    const status = await fs.readFile(`/proc/${daemon.child.pid}/status`, 'utf8')
    const peakKb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1])
    expect(peakKb).toBeLessThan(300 * 1024)
  })

  it('fails a task that fills the disk with a clear status, and keeps serving', async (ctx) => {
    const mountPoint = await scratch('distw-tmpfs-')
    const mounted = await execa('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mountPoint], { reject: false })
    if (mounted.exitCode !== 0) ctx.skip() // needs root and a kernel that allows it
    try {
      const d = await node({ workDir: path.join(mountPoint, 'node') })
      const { exit } = await runOne(d, { command: { shell: 'head -c 10000000 /dev/zero > big' } })
      expect(exit.exitCode).not.toBe(0)
      expect(exit.error).toMatch(/disk filled up/)
      await stillServes(d)
      await d.close()
    } finally {
      await execa('umount', ['-l', mountPoint], { reject: false })
    }
  })
})
