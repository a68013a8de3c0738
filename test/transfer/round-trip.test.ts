// Bulk data through a daemon running as its own process, so its memory can be read from /proc:
// a 50 MiB input up and a 50 MiB output back, and a task that floods stdout, must leave the daemon's
// resident set well below the size of what went through it.
import { createHash, randomBytes } from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { submit } from '../../src/submit/submit.js'
import { wsUsesBufferutil } from '../../src/transfer/native.js'
import { distw, spawnDaemon, tempDir } from '../helpers/cli.js'
import { processMemory } from '../helpers/proc-memory.js'

const MiB = 1024 * 1024
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex')

describe('bulk transfer through a daemon process', () => {
  it('round-trips 50 MiB without the daemon growing by the file size', async () => {
    const node = await spawnDaemon(['--slots', '1'])
    const pid = node.child.pid as number
    const dir = await tempDir()
    const data = randomBytes(50 * MiB)
    await fs.writeFile(path.join(dir, 'in.bin'), data)
    const peers = [node.peer]
    // Up: the daemon receives, hashes and stores the input. Its peak is compared with where it started.
    const beforeUp = await processMemory(pid)
    const up = await submit({ tasks: JSON.stringify({ name: 'up', run: 'true', inputs: ['in.bin'] }), cwd: dir, peers })
    const afterUp = await processMemory(pid)
    // Down: the cached input is copied by the task and the copy streams back.
    const down = await submit({ tasks: JSON.stringify({ name: 'down', run: 'cp in.bin out.bin', inputs: ['in.bin'] }), cwd: dir, peers })
    const afterDown = await processMemory(pid)

    expect(up.ok && down.ok).toBe(true)
    expect(up.results[0]?.bytesUp).toBe(data.length)
    expect(down.results[0]?.bytesUp).toBe(0)
    expect(down.results[0]?.bytesDown).toBe(data.length)
    expect(sha256(await fs.readFile(path.join(dir, 'out.bin')))).toBe(sha256(data))
    // A daemon that held the file would grow by 50 MiB each way; a streaming one by its chunk window
    // plus the garbage V8 lets pile up between collections (measured: ~30–40 MiB).
    expect(afterUp.peakBytes - beforeUp.rssBytes).toBeLessThan(data.length)
    expect(afterDown.peakBytes - afterUp.rssBytes).toBeLessThan(data.length)
    expect(node.log()).toContain('bufferutil=true')
  })

  it('keeps memory flat under a task that floods stdout faster than the submitter reads', async () => {
    const node = await spawnDaemon(['--slots', '1'])
    const pid = node.child.pid as number
    const dir = await tempDir()
    const before = await processMemory(pid)
    let received = 0
    const tasks = JSON.stringify({ name: 'flood', run: 'head -c 120000000 /dev/zero' })
    const batch = await submit({
      tasks,
      cwd: dir,
      peers: [node.peer],
      // A slow reader: every chunk waits a tick before the next is taken.
      observer: { taskOutput: (_t, _s, data) => new Promise((r) => setImmediate(() => r(void (received += data.length)))) },
    })
    const after = await processMemory(pid)
    expect(batch.ok).toBe(true)
    expect(received).toBe(120_000_000)
    expect(after.peakBytes - before.rssBytes).toBeLessThan(60 * MiB)
  })

  it('cuts output at --max-output with a marker', async () => {
    const node = await spawnDaemon(['--max-output', '10K'])
    const dir = await tempDir()
    const run = await distw(['submit', '-', '--peer', node.peer], { cwd: dir, input: 'yes hello | head -c 100000\n' })
    expect(run.exitCode).toBe(0)
    expect(run.stdout).toContain('[distw: output cut at 10240 bytes]')
    expect(run.stdout.length).toBeLessThan(40_000)
  })

  it('refuses a --max-output it cannot read, saying what it accepts', async () => {
    const run = await distw(['daemon', '--port', '0', '--allow-root', '--max-output', 'lots'])
    expect(run.exitCode).toBe(2)
    expect(run.stderr).toMatch(/--max-output: invalid size "lots"/)
  })

  it('runs ws with its native bufferutil helper', () => {
    expect(wsUsesBufferutil()).toBe(true)
  })
})
