// The pure parts behind scheduling: held output, --halt parsing, the job log round trip, task digests,
// requirement matching with probe answers, and lease expiry on the node's slot table.
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { SlotTable } from '../../src/daemon/policy/slots.js'
import type { NodeInfo } from '../../src/protocol/index.js'
import { AttemptOutput } from '../../src/submit/attempt-output.js'
import { HaltCount, parseHalt } from '../../src/submit/halt.js'
import { JobLog, succeededDigests } from '../../src/submit/joblog.js'
import { unmetRequirement } from '../../src/submit/requirements.js'
import { taskDigest } from '../../src/submit/task-digest.js'
import { parseTasks, type TaskSpec } from '../../src/tasks/index.js'
import { HashCache } from '../../src/transfer/hash.js'

const dirs: string[] = []
afterEach(async () => {
  for (const d of dirs.splice(0)) await fs.rm(d, { recursive: true, force: true })
})
const temp = async () => {
  const d = await fs.mkdtemp(path.join(os.tmpdir(), 'distw-parts-'))
  dirs.push(d)
  return d
}
const node: NodeInfo = { id: 'n1', name: 'box', version: '0', os: 'linux', arch: 'x64', slots: 4, tags: [], memory: 2 * 1024 ** 3, cpus: 2 }
const task = (line: string): TaskSpec => parseTasks(line, 'test')[0] as TaskSpec

describe('AttemptOutput', () => {
  it('holds output until flushed, forgets it when discarded, streams past the limit', () => {
    const seen: string[] = []
    const sink = (_s: 'stdout' | 'stderr', d: Buffer) => void seen.push(d.toString())
    const kept = new AttemptOutput(sink)
    void kept.push('stdout', Buffer.from('a'))
    expect(seen).toEqual([])
    void kept.flush()
    void kept.push('stdout', Buffer.from('b'))
    expect(seen).toEqual(['a', 'b'])

    const dropped = new AttemptOutput(sink)
    void dropped.push('stdout', Buffer.from('lost'))
    dropped.discard()
    expect(seen).toEqual(['a', 'b'])

    const big = new AttemptOutput(sink, 3)
    void big.push('stderr', Buffer.from('xy'))
    void big.push('stderr', Buffer.from('zw'))
    expect(seen.slice(2)).toEqual(['xy', 'zw'])
  })
})

describe('parseHalt', () => {
  it('reads now/soon with a failure count and refuses anything else with a hint', () => {
    expect(parseHalt('now,fail=1')).toEqual({ when: 'now', on: 'fail', count: 1 })
    expect(parseHalt('soon,success=12')).toEqual({ when: 'soon', on: 'success', count: 12 })
    expect(parseHalt(' now,done=3 ')).toEqual({ when: 'now', on: 'done', count: 3 })
    for (const bad of ['now', 'later,fail=1', 'now,fail=0', 'soon,fail=x', 'now,failed=1'])
      expect(() => parseHalt(bad)).toThrow(/bad --halt/)
    expect(() => parseHalt('now,fail=10%')).toThrow(/not percentages/)
  })

  it('HaltCount counts what the policy names, halts once, and says whether that was asked for', () => {
    const success = new HaltCount({ when: 'now', on: 'success', count: 2 })
    expect(success.add('failed')).toBeUndefined()
    expect(success.add('succeeded')).toBeUndefined()
    expect(success.add('succeeded')).toEqual({ when: 'now', warning: 'halting after 2 successes (--halt now,success=2)' })
    expect(success.add('succeeded')).toBeUndefined()
    expect(success.haltedAsAsked).toBe(true)
    const done = new HaltCount({ when: 'soon', on: 'done', count: 2 })
    expect(done.add('cancelled')).toBeUndefined()
    expect(done.add('failed')).toBeUndefined()
    expect(done.add('succeeded')?.warning).toBe('halting after 2 tasks done (--halt soon,done=2)')
    const fail = new HaltCount({ when: 'soon', on: 'fail', count: 1 })
    expect(fail.add('failed')?.warning).toBe('halting after 1 failure (--halt soon,fail=1)')
    expect(fail.haltedAsAsked).toBe(false)
    expect(new HaltCount(undefined).add('failed')).toBeUndefined()
  })
})

describe('job log', () => {
  it('writes a header once and reads back the digests of succeeded attempts only', async () => {
    const file = path.join(await temp(), 'job.log')
    const row = {
      task: 't\tab',
      line: 1,
      attempt: 1,
      node: 'box',
      startedAt: 0,
      durationMs: 5,
      exitCode: 0,
      signal: null,
      bytesUp: 1,
      bytesDown: 2,
      reason: '',
    }
    let log = await JobLog.open(file)
    log.write('d1', { ...row, status: 'succeeded' })
    log.write('d2', { ...row, status: 'failed', exitCode: 1, reason: 'exit code 1' })
    log.write('d2', { ...row, status: 'requeued', exitCode: null, reason: 'node box lost:\nconnection closed' })
    await log.close()
    log = await JobLog.open(file)
    log.write('d3', { ...row, status: 'succeeded' })
    await log.close()
    const text = await fs.readFile(file, 'utf8')
    expect(text.split('\n').filter((l) => l.startsWith('digest\t'))).toHaveLength(1)
    expect(text).toContain('\tt ab\t')
    expect(text).toContain('\trequeued\t1\t2\tnode box lost: connection closed\n')
    expect(await succeededDigests(file)).toEqual(new Set(['d1', 'd3']))
    expect(await succeededDigests(path.join(path.dirname(file), 'absent.log'))).toEqual(new Set())
    await fs.writeFile(file, 'not,a,joblog\n')
    await expect(succeededDigests(file)).rejects.toThrow(/not a distw job log/)
    await expect(JobLog.open(file)).rejects.toThrow(/not a distw job log/)
  })

  it('goes on with the columns of a log an older distw began (no reason column)', async () => {
    const file = path.join(await temp(), 'old.log')
    const old = 'digest\ttask\tline\tattempt\tnode\tstart\tduration_ms\texit_code\tsignal\tstatus\tbytes_in\tbytes_out'
    await fs.writeFile(file, `${old}\nd0\tt\t1\t1\tbox\t1970-01-01T00:00:00.000Z\t5\t0\t\tsucceeded\t1\t2\n`)
    const log = await JobLog.open(file)
    log.write('d1', {
      task: 't',
      line: 1,
      attempt: 1,
      node: 'box',
      startedAt: 0,
      durationMs: 5,
      exitCode: 1,
      signal: null,
      status: 'failed',
      bytesUp: 1,
      bytesDown: 2,
      reason: 'exit code 1',
    })
    await log.close()
    const rows = (await fs.readFile(file, 'utf8')).trim().split('\n')
    expect(rows).toHaveLength(3)
    expect(rows[2]?.split('\t')).toHaveLength(12)
    expect(rows[2]).toMatch(/^d1\t.*\tfailed\t1\t2$/)
    expect(await succeededDigests(file)).toEqual(new Set(['d0']))
  })
})

describe('taskDigest', () => {
  it('ignores the line and name, and changes with command, env or input content', async () => {
    const dir = await temp()
    const file = path.join(dir, 'in.txt')
    await fs.writeFile(file, 'one')
    const input = async () => {
      const s = await fs.stat(file)
      return [{ path: 'in.txt', absPath: file, size: s.size, mode: 0o644, mtimeMs: s.mtimeMs, ctimeMs: s.ctimeMs, ino: s.ino }]
    }
    const hashes = () => new HashCache()
    const base = await taskDigest(task('{"name":"a","run":"cat in.txt","env":{"X":"1"}}'), await input(), hashes())
    const moved = await taskDigest(task('\n\n{"name":"b","run":"cat in.txt","env":{"X":"1"}}'), await input(), hashes())
    expect(moved).toBe(base)
    expect(await taskDigest(task('{"run":"cat in.txt","env":{"X":"2"}}'), await input(), hashes())).not.toBe(base)
    expect(await taskDigest(task('{"run":"cat  in.txt","env":{"X":"1"}}'), await input(), hashes())).not.toBe(base)
    await fs.writeFile(file, 'two')
    expect(await taskDigest(task('{"run":"cat in.txt","env":{"X":"1"}}'), await input(), hashes())).not.toBe(base)
  })
})

describe('unmetRequirement', () => {
  it('says which requirement a node misses, including probed tools and env', () => {
    const probed = {
      tools: new Map([
        ['ffmpeg', false],
        ['sh', true],
      ]),
      env: new Map([['LICENSE', true]]),
    }
    expect(unmetRequirement(task('{"run":"x","requires":{"memory":"4G"}}'), node)).toMatch(/has 2.0 GiB memory, task needs 4.0 GiB/)
    expect(unmetRequirement(task('{"run":"x","requires":{"cpus":8}}'), node)).toMatch(/has 2 cpu\(s\), task needs 8/)
    expect(unmetRequirement(task('{"run":"x","requires":{"tools":["sh","ffmpeg"]}}'), node, probed)).toBe('lacks tool(s) on PATH: ffmpeg')
    expect(unmetRequirement(task('{"run":"x","requires":{"env":["LICENSE","GPU=1"]}}'), node, probed)).toBe('env lacks GPU=1')
    expect(unmetRequirement(task('{"run":"x","requires":{"tools":["sh"],"env":["LICENSE"],"memory":"1G"}}'), node, probed)).toBeUndefined()
  })
})

describe('SlotTable leases', () => {
  it('takes back a lease that is not used in time, and frees slots for others', async () => {
    const slots = new SlotTable(1, 50)
    const freed = new Promise<number>((resolve) => slots.once('freed', resolve))
    const lease = slots.reserve('a', 1)
    expect(lease).toBeDefined()
    expect(slots.reserve('b', 1)).toBeUndefined()
    expect(await freed).toBe(1)
    expect(slots.use('a', lease!)).toBe(false)
    expect(slots.reserve('b', 1)).toBeDefined()
  })

  it('keeps a lease in use past its expiry until it is released', async () => {
    const slots = new SlotTable(1, 30)
    const lease = slots.reserve('a', 1)!
    expect(slots.use('a', lease)).toBe(true)
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(slots.free).toBe(0)
    slots.releaseUnused('a')
    expect(slots.free).toBe(0)
    slots.release(lease)
    expect(slots.free).toBe(1)
  })

  it('hands a kept lease straight to a queued run: still in use, never expiring, unless another owner waits', async () => {
    const slots = new SlotTable(1, 30)
    const lease = slots.reserve('a', 1)!
    expect(slots.use('a', lease)).toBe(true)
    expect(slots.finish(lease, true, true)).toBe(true)
    // In use by the queued run: no second use, no expiry, no release from the wire.
    expect(slots.use('a', lease)).toBe(false)
    await new Promise((resolve) => setTimeout(resolve, 100))
    slots.release(lease, 'a')
    expect(slots.free).toBe(0)
    // Another owner refused meanwhile: the lease is not kept, even for a queued run.
    expect(slots.reserve('b', 1)).toBeUndefined()
    slots.addWaiter('b')
    expect(slots.finish(lease, true, true)).toBe(false)
    expect(slots.free).toBe(1)
  })

  // A lease of `owner`'s, running a task that is then held for approval (undefined: refused).
  const heldLease = (slots: SlotTable, owner: string): string | undefined => {
    const lease = slots.reserve(owner, 1)
    if (lease === undefined) return undefined
    slots.use(owner, lease)
    slots.lend(lease)
    return lease
  }

  it('lends a held task’s slots to others; approved, it takes them back before any new reservation', async () => {
    const slots = new SlotTable(1, 60_000)
    const held = heldLease(slots, 'a')!
    expect(slots.free).toBe(1)
    const other = slots.reserve('b', 1)!
    expect(other).toBeDefined()
    slots.use('b', other)
    // Approved while b runs: it waits (and says so), and no one else may reserve meanwhile.
    const events: string[] = []
    const back = slots.takeBack(held, new AbortController().signal, () => events.push('waiting')).then(() => events.push('back'))
    expect(events).toEqual(['waiting'])
    slots.release(other)
    expect(slots.reserve('c', 1)).toBeUndefined()
    await back
    expect(events).toEqual(['waiting', 'back'])
    expect(slots.free).toBe(0)
    // Approved with its slot free: at once. Denied while lent: released without freeing twice.
    slots.release(held)
    const again = heldLease(slots, 'a')!
    await slots.takeBack(again, new AbortController().signal, () => events.push('waited'))
    expect(slots.free).toBe(0)
    slots.lend(again)
    expect(slots.finish(again, true)).toBe(false) // a lent lease is not kept
    expect(slots.free).toBe(1)
    expect(events).not.toContain('waited')
  })

  it('lends at most the node’s slots at once: more held tasks keep theirs', () => {
    const slots = new SlotTable(1, 60_000)
    const leases = ['a', 'b', 'c'].map((owner) => heldLease(slots, owner))
    // a lends its slot, b takes it and is held too, but the node's one slot is lent already: c is refused.
    expect(leases.map((l) => l !== undefined)).toEqual([true, true, false])
    expect(slots.free).toBe(0)
  })

  it('a held task cancelled while it waits for its slot back gives up its place', async () => {
    const slots = new SlotTable(1, 60_000)
    const held = heldLease(slots, 'a')!
    const other = slots.reserve('b', 1)!
    slots.use('b', other)
    const abort = new AbortController()
    const back = slots.takeBack(held, abort.signal, () => {})
    expect(slots.free).toBe(0) // b runs, and a waits to come next
    abort.abort()
    await expect(back).rejects.toThrow(/cancelled while waiting for a slot/)
    slots.release(held)
    slots.release(other)
    expect(slots.free).toBe(1)
  })
})
