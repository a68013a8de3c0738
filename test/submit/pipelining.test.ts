// The submitter's leases against a real in-process daemon. Pipelining: while a batch's tasks are short,
// the next task is sent behind a running one and starts on its lease without a round trip; a queued task
// whose predecessor runs long is taken back and runs later, once; `pipeline: false` never queues. And a
// lease that no run will use (an input vanished) is given back at once, not held until its TTL.
import { rmSync } from 'node:fs'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { startDaemon, type RunningDaemon } from '../../src/daemon/daemon.js'
import { submit } from '../../src/submit/submit.js'

let daemon: RunningDaemon | undefined
const dirs: string[] = []
const events: { event: string; fields: Record<string, unknown> | undefined }[] = []
afterEach(async () => {
  await daemon?.close()
  daemon = undefined
  events.length = 0
  for (const d of dirs.splice(0)) await fs.rm(d, { recursive: true, force: true })
})

async function batch(lines: string[], options: { pipeline?: boolean } = {}, prepare?: (dir: string) => Promise<void>) {
  daemon ??= await startDaemon({ port: 0, slots: 1, log: (event, fields) => events.push({ event, fields }) })
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'distw-pipelining-'))
  dirs.push(dir)
  await prepare?.(dir)
  const result = await submit({ tasks: lines.join('\n'), cwd: dir, peers: [daemon.url.replace('ws://', '')], local: 'never', ...options })
  return { result, dir }
}

const started = (name?: string) => events.filter((e) => e.event === 'task started' && (name === undefined || e.fields?.['task'] === name))
const fromQueue = () => started().filter((e) => e.fields?.['queued'] === true)

describe('pipelining', () => {
  it('queues short tasks behind running ones: each runs once, and every file comes back', async () => {
    const lines = Array.from({ length: 30 }, (_, i) => `echo ${i} > out-${i}.txt`)
    const { result, dir } = await batch(lines)

    expect(result.ok).toBe(true)
    expect(result.results.every((r) => r.status === 'succeeded' && r.attempts === 1)).toBe(true)
    expect(started()).toHaveLength(30)
    // The first task teaches the scheduler that tasks are short; after that most start from the queue.
    expect(fromQueue().length).toBeGreaterThanOrEqual(15)
    for (let i = 0; i < 30; i++) expect(await fs.readFile(path.join(dir, `out-${i}.txt`), 'utf8')).toBe(`${i}\n`)
  })

  it('never queues with pipeline: false', async () => {
    const { result } = await batch(
      Array.from({ length: 10 }, () => 'true'),
      { pipeline: false },
    )
    expect(result.ok).toBe(true)
    expect(started()).toHaveLength(10)
    expect(fromQueue()).toHaveLength(0)
  })

  it('takes back a task queued behind one that runs long, and runs it once afterwards', async () => {
    // Short tasks first, so that the next is queued behind the long one; it waits longer than the
    // scheduler's patience (2 s) and is withdrawn, then runs on the lease once the long task ends.
    const lines = [
      'true',
      'true',
      'true',
      JSON.stringify({ name: 'long', run: 'sleep 3' }),
      JSON.stringify({ name: 'after-long', run: 'true' }),
    ]
    const { result } = await batch(lines)

    expect(result.ok).toBe(true)
    expect(result.results.find((r) => r.name === 'after-long')).toMatchObject({ status: 'succeeded', attempts: 1 })
    expect(events.filter((e) => e.event === 'queued task withdrawn').map((e) => e.fields?.['task'])).toEqual(['after-long'])
    expect(started('after-long')).toHaveLength(1)
  })

  it('gives back a lease whose task cannot be sent (its input vanished), so the next task does not wait for the TTL', async () => {
    const lines = [
      'sleep 0.5',
      JSON.stringify({ name: 'reads-x', run: 'cat x.txt', inputs: ['x.txt'] }),
      JSON.stringify({ name: 'next', run: 'true' }),
    ]
    const started = Date.now()
    const { result } = await batch(lines, {}, async (dir) => {
      await fs.writeFile(path.join(dir, 'x.txt'), 'x\n')
      // Gone while the first task holds the only slot, before reads-x is hashed on the lease it leaves.
      setTimeout(() => void fs.rm(path.join(dir, 'x.txt')), 200)
    })

    expect(result.results.find((r) => r.name === 'reads-x')?.status).toBe('failed')
    expect(result.results.find((r) => r.name === 'next')?.status).toBe('succeeded')
    // Held until its TTL, the lease would have kept `next` waiting 30 s.
    expect(Date.now() - started).toBeLessThan(10_000)
  })

  it('fails a task whose input cannot be read after its retries, hashed before any reservation', async () => {
    daemon ??= await startDaemon({ port: 0, slots: 1, log: (event, fields) => events.push({ event, fields }) })
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'distw-pipelining-'))
    dirs.push(dir)
    await fs.writeFile(path.join(dir, 'x.txt'), 'x\n')
    const result = await submit({
      tasks: JSON.stringify({ name: 'gone', run: 'cat x.txt', inputs: ['x.txt'], retries: 2 }),
      cwd: dir,
      peers: [daemon.url.replace('ws://', '')],
      local: 'never',
      // Found when the batch was read, gone before it is hashed.
      observer: { taskQueued: () => rmSync(path.join(dir, 'x.txt')) },
    })
    expect(result.results[0]).toMatchObject({ status: 'failed', attempts: 3 })
    expect(result.results[0]?.reason).toMatch(/ENOENT/)
    expect(started()).toHaveLength(0)
  })
})
