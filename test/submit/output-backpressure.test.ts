// Backpressure from the submitter's reader to the task: an observer whose taskOutput is slow to settle
// (the plain reporter waiting for stdout's 'drain') must stop the submitter reading the node, and the
// node then pauses the task, instead of the output piling up in the submitter's memory.
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it, onTestFinished } from 'vitest'
import { startDaemon, type RunningDaemon } from '../../src/daemon/daemon.js'
import { AttemptOutput, HELD_OUTPUT_LIMIT } from '../../src/submit/attempt-output.js'
import { submit } from '../../src/submit/submit.js'
import { until } from '../helpers/wait.js'

const MiB = 1024 * 1024
const PRINTED = 200_000_000
// Well above what can be in flight while the reader is blocked, well below what the task prints.
const CAP = 64 * MiB

let daemon: RunningDaemon | undefined
afterEach(async () => {
  await daemon?.close()
  daemon = undefined
})

const exists = (file: string) =>
  fs.access(file).then(
    () => true,
    () => false,
  )

describe('output backpressure', () => {
  it('pauses the task while the observer is blocked, and delivers everything once it is not', async () => {
    // Short heartbeats: the reader stays blocked for many intervals, and neither side may take that
    // for a lost peer (the task would run twice).
    daemon = await startDaemon({ port: 0, slots: 1, maxOutputBytes: CAP, heartbeatMs: 200 })
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'distw-backpressure-'))
    onTestFinished(() => fs.rm(dir, { recursive: true, force: true }))
    const done = path.join(dir, 'printed-all')
    let received = 0
    let release!: () => void
    let gate: Promise<void> | undefined = new Promise((resolve) => (release = resolve))
    let settled = false
    const lost: string[] = []
    const batch = submit({
      tasks: JSON.stringify({ name: 'flood', run: `head -c ${PRINTED} /dev/zero && touch ${JSON.stringify(done)}` }),
      cwd: dir,
      peers: [daemon.url.replace('ws://', '')],
      local: 'never',
      heartbeatMs: 200,
      observer: {
        nodeLost: (_node, reason) => lost.push(reason),
        taskOutput: (_task, _stream, data) => {
          received += data.length
          return gate
        },
      },
    }).finally(() => (settled = true))

    // Past the held limit the output streams through, and the observer holds it up.
    await until(() => received > HELD_OUTPUT_LIMIT, 'output streamed through', 10_000)
    // Let whatever was already in flight arrive, then check nothing more does.
    let last = -1
    await until(
      async () => {
        if (received === last) return true
        last = received
        await new Promise((resolve) => setTimeout(resolve, 400))
        return false
      },
      'received bytes to stop growing',
      10_000,
    )
    await new Promise((resolve) => setTimeout(resolve, 600))
    expect(received).toBe(last)
    // Held output plus one handler's worth: the rest waits in socket buffers, then in the task's pipe.
    expect(received).toBeLessThan(HELD_OUTPUT_LIMIT + 8 * MiB)
    // The node paused the task: `head` has not got its output out, let alone finished.
    expect(await exists(done)).toBe(false)
    expect(settled).toBe(false)

    gate = undefined
    release()
    const result = await batch
    expect(result.ok).toBe(true)
    expect(result.results[0]?.status).toBe('succeeded')
    expect(result.results[0]?.attempts).toBe(1)
    expect(lost).toEqual([])
    // Every byte the node let through (it cuts at its cap, with a marker) reached the observer.
    expect(received).toBe(CAP + `\n[distw: output cut at ${CAP} bytes]\n`.length)
    expect(await exists(done)).toBe(true)
  }, 30_000)
})

describe('many short lines', () => {
  // The node cut stdout into one frame per line (to find progress lines): 2 MB of `yes` was a million
  // frames and took 25 s; at 50 MB the submitter fell so far behind that the node was lost three times.
  it('reach the submitter in a few frames, byte-exact, with a progress line among them taken out', async () => {
    daemon = await startDaemon({ port: 0, slots: 1 })
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'distw-lines-'))
    onTestFinished(() => fs.rm(dir, { recursive: true, force: true }))
    const pieces: Buffer[] = []
    const percents: number[] = []
    const result = await submit({
      tasks: JSON.stringify({ name: 'lines', run: 'yes | head -c 2000000; echo "::distw::progress 50 half"; yes | head -c 2000000' }),
      cwd: dir,
      peers: [daemon.url.replace('ws://', '')],
      local: 'never',
      observer: {
        taskOutput: (_task, _stream, data) => void pieces.push(Buffer.from(data)),
        taskProgress: (_task, percent) => void percents.push(percent),
      },
    })
    expect(result.ok).toBe(true)
    expect(Buffer.concat(pieces).equals(Buffer.from('y\n'.repeat(2_000_000)))).toBe(true)
    expect(percents).toEqual([50])
    // One a pipe read at most (64 KiB, often less), not one a line.
    expect(pieces.length).toBeLessThan(4_000_000 / 4096)
  }, 30_000)
})

describe('AttemptOutput', () => {
  it('never waits while it holds output, and passes on the wait once output streams through', async () => {
    const waits: (() => void)[] = []
    const seen: number[] = []
    const output = new AttemptOutput((_stream, data) => {
      seen.push(data.length)
      return new Promise((resolve) => waits.push(resolve))
    }, 10)
    expect(output.push('stdout', Buffer.alloc(6))).toBeUndefined()
    expect(seen).toEqual([])
    // Over the limit: what was held is handed over at once, and the push waits on all of it.
    const flushed = output.push('stderr', Buffer.alloc(6))
    expect(flushed).toBeInstanceOf(Promise)
    expect(seen).toEqual([6, 6])
    const live = output.push('stdout', Buffer.alloc(3))
    expect(live).toBeInstanceOf(Promise)
    let flushSettled = false
    void flushed?.then(() => (flushSettled = true))
    waits[0]?.()
    await Promise.resolve()
    expect(flushSettled).toBe(false)
    waits.forEach((resolve) => resolve())
    await Promise.all([flushed, live])
    expect(flushSettled).toBe(true)
  })
})
