// Placement by locality against in-memory nodes (memory-node.ts): a task goes to the free node holding
// most of its input bytes; it waits for a busy one that holds more, never longer than sending them
// would take, and says so; a later task whose inputs a free node holds takes that slot first;
// --no-locality places by load alone. Real (sparse) input files, no sockets: each batch takes ms.
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BlobBook } from '../../src/submit/blob-book.js'
import { Locality } from '../../src/submit/locality.js'
import { Scheduler } from '../../src/submit/scheduler.js'
import type { TaskResult } from '../../src/submit/result.js'
import { parseTasks, type ResolvedInput } from '../../src/tasks/index.js'
import { HashCache, hashFile, stampKey } from '../../src/transfer/hash.js'
import { MemoryNode } from './memory-node.js'

const MiB = 1024 * 1024
let dir: string

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'distw-locality-'))
})
afterAll(() => fs.rm(dir, { recursive: true, force: true }))

// A sparse file of `size` bytes (its content does not matter, only that it has a digest), as a task input.
async function input(name: string, size: number): Promise<ResolvedInput> {
  const absPath = path.join(dir, name)
  await fs.writeFile(absPath, name)
  await fs.truncate(absPath, size)
  const { mtimeMs, ctimeMs, ino } = await fs.stat(absPath)
  return { path: name, absPath, size, mode: 0o644, mtimeMs, ctimeMs, ino }
}

interface Plan {
  tasks: object[]
  inputs: Record<string, ResolvedInput[]>
  /** Node name → the inputs it holds before the batch. */
  holding?: Record<string, ResolvedInput[]>
  placement?: boolean
  /** The link rate the batch assumes (default 100 MiB/s; in-memory uploads take no time, so none is measured). */
  bytesPerMs?: number
  /** Node name → files it returned and the digest it said it kept each under (`file.cached`). */
  returned?: Record<string, [ResolvedInput, string][]>
}

async function batch(plan: Plan, nodes: MemoryNode[]) {
  const hashes = new HashCache()
  const locality = new Locality(new BlobBook(), hashes, {
    bytesPerMs: plan.bytesPerMs ?? (100 * MiB) / 1000,
    placement: plan.placement ?? true,
  })
  for (const node of nodes)
    for (const held of plan.holding?.[node.info.name] ?? []) {
      const digest = await hashes.digest(held)
      node.blobs.add(digest)
      locality.book.add(node.info.id, digest)
    }
  for (const node of nodes)
    for (const [file, digest] of plan.returned?.[node.info.name] ?? []) {
      node.blobs.add(digest)
      locality.returned(node.info.id, file, digest)
    }
  const events: string[] = []
  const scheduler = new Scheduler(
    {
      tasks: parseTasks(plan.tasks.map((t) => JSON.stringify(t)).join('\n'), 'test'),
      inputs: new Map(Object.entries(plan.inputs)),
      dest: dir,
      perTaskFolders: false,
      pipeline: false,
      hashes,
      locality,
    },
    {
      waiting: (reason) => events.push(`waiting ${reason ?? '-'}`),
      taskFinished: (r) => events.push(`finished ${r.name}`),
    },
  )
  for (const node of nodes) scheduler.addNode(node)
  const results = await scheduler.run()
  const byName = (name: string) => results.find((r) => r.name === name) as TaskResult
  return { byName, events }
}

describe('placement by locality', () => {
  it('a task goes to the free node holding its input, not to the first or least loaded one', async () => {
    const big = await input('prefer.bin', 8 * MiB)
    const a = new MemoryNode('a', 2)
    const b = new MemoryNode('b', 2)
    const plan = { tasks: [{ name: 'use', run: 'x', inputs: ['prefer.bin'] }], inputs: { use: [big] }, holding: { b: [big] } }

    const on = await batch(plan, [a, b])
    expect(on.byName('use')).toMatchObject({ status: 'succeeded', node: 'b', bytesUp: 0 })

    const off = await batch({ ...plan, placement: false }, [new MemoryNode('a', 2), new MemoryNode('b', 2)])
    expect(off.byName('use')).toMatchObject({ status: 'succeeded', node: 'a', bytesUp: 8 * MiB })
  })

  it('waits for the busy node holding its input, says why, and runs there when a slot comes free', async () => {
    const big = await input('wait.bin', 50 * MiB) // 0.5 s at the 100 MiB/s the batch assumes
    const a = new MemoryNode('a', 1)
    const b = new MemoryNode('b', 1, (name) => (name === 'busy' ? { ms: 50 } : {}))
    const tasks = [
      { name: 'busy', run: 'x', requires: { nodes: ['b'] } },
      { name: 'use', run: 'x', inputs: ['wait.bin'] },
    ]
    const { byName, events } = await batch({ tasks, inputs: { use: [big] }, holding: { b: [big] } }, [a, b])

    expect(byName('use')).toMatchObject({ status: 'succeeded', node: 'b', bytesUp: 0 })
    expect(a.ran).toEqual([])
    const said = events.findIndex((e) => /^waiting use waits up to \d+ ms for b, which holds 50 MiB more of its inputs than a/.test(e))
    expect(said).toBeGreaterThanOrEqual(0)
    expect(events.indexOf('finished busy')).toBeGreaterThan(said)
  })

  it('waits no longer than sending the input would take: then it goes to the free node', async () => {
    const big = await input('short.bin', 10 * MiB) // 0.1 s to send
    const a = new MemoryNode('a', 1)
    const b = new MemoryNode('b', 1, (name) => (name === 'busy' ? { ms: 1_000 } : {}))
    const tasks = [
      { name: 'busy', run: 'x', requires: { nodes: ['b'] } },
      { name: 'use', run: 'x', inputs: ['short.bin'] },
    ]
    const { byName, events } = await batch({ tasks, inputs: { use: [big] }, holding: { b: [big] } }, [a, b])

    expect(byName('use')).toMatchObject({ status: 'succeeded', node: 'a', bytesUp: 10 * MiB })
    expect(events.indexOf('finished use')).toBeLessThan(events.indexOf('finished busy'))
    expect(events.some((e) => /^waiting use waits up to \d+ ms for b/.test(e))).toBe(true)
  })

  it('a free slot goes first to a later task whose input that node holds', async () => {
    const onA = await input('on-a.bin', 64 * 1024)
    const onB = await input('on-b.bin', 64 * 1024) // too small to wait for: only passed over within one pass
    const a = new MemoryNode('a', 1)
    const b = new MemoryNode('b', 1, (name) => (name === 'busy' ? { ms: 50 } : {}))
    const tasks = [
      { name: 'busy', run: 'x', requires: { nodes: ['b'] } },
      { name: 'wants-b', run: 'x', inputs: ['on-b.bin'] },
      { name: 'wants-a', run: 'x', inputs: ['on-a.bin'] },
    ]
    const plan = { tasks, inputs: { 'wants-b': [onB], 'wants-a': [onA] }, holding: { a: [onA], b: [onB] } }
    const { byName } = await batch(plan, [a, b])

    expect(a.ran[0]).toBe('wants-a')
    expect(byName('wants-a')).toMatchObject({ node: 'a', bytesUp: 0 })
    expect(byName('wants-b')).toMatchObject({ status: 'succeeded' })
  })

  it('a free node finds a task whose input it holds deep in the queue, past the tasks waiting for another node', async () => {
    const onA = await input('deep-a.bin', 10 * MiB)
    const onB = await input('deep-b.bin', 10 * MiB)
    const a = new MemoryNode('a', 1, (name) => (name === 'a-busy' ? { ms: 30 } : {}))
    const b = new MemoryNode('b', 1, (name) => (name === 'b-busy' ? { ms: 1_000 } : {}))
    const waiters = Array.from({ length: 100 }, (_, i) => ({ name: `w${i}`, run: 'x', inputs: ['deep-b.bin'] }))
    const tasks = [
      { name: 'a-busy', run: 'x', requires: { nodes: ['a'] } },
      { name: 'b-busy', run: 'x', requires: { nodes: ['b'] } },
      ...waiters,
      { name: 'wants-a', run: 'x', inputs: ['deep-a.bin'] },
    ]
    const inputs = { ...Object.fromEntries(waiters.map((w) => [w.name, [onB]])), 'wants-a': [onA] }
    const { byName } = await batch({ tasks, inputs, holding: { a: [onA], b: [onB] }, bytesPerMs: MiB / 1000 }, [a, b])

    // a takes the task whose input it holds as soon as it is free, not after b's waiters gave up on b.
    expect(a.ran.slice(0, 2)).toEqual(['a-busy', 'wants-a'])
    expect(byName('wants-a')).toMatchObject({ node: 'a', bytesUp: 0 })
  })

  it('the slot a task frees is kept for its dependent while its inputs are resolved, not given to the next task', async () => {
    const made = await input('made.bin', 10 * MiB) // as if A had made it on a (0.1 s to send elsewhere)
    const a = new MemoryNode('a', 1, (name) => (name === 'A' ? { ms: 20 } : name === 'other' ? { ms: 600 } : {}))
    const b = new MemoryNode('b', 1, (name) => (name === 'slow' ? { ms: 200 } : {}))
    const tasks = [
      { name: 'A', run: 'x', requires: { nodes: ['a'] } },
      { name: 'slow', run: 'x', requires: { nodes: ['b'] } },
      { name: 'B', run: 'x', inputs: ['made.bin'], after: ['A'] },
      { name: 'other', run: 'x' },
    ]
    const { byName } = await batch({ tasks, inputs: {}, holding: { a: [made] } }, [a, b])

    expect(byName('B')).toMatchObject({ status: 'succeeded', node: 'a', bytesUp: 0 })
    expect(a.ran.slice(0, 2)).toEqual(['A', 'B'])
  })

  it("a returned file's node is learnt within the batch: the next task with the same input follows the first", async () => {
    const shared = await input('shared.bin', 4 * MiB)
    const a = new MemoryNode('a', 1, () => ({ ms: 20 }))
    const b = new MemoryNode('b', 1, () => ({ ms: 20 }))
    const tasks = [1, 2, 3, 4].map((i) => ({ name: `t${i}`, run: 'x', inputs: ['shared.bin'] }))
    const inputs = Object.fromEntries(tasks.map((t) => [t.name, [shared]]))
    const { byName } = await batch({ tasks, inputs, bytesPerMs: MiB / 1000 }, [a, b])

    // The first goes to a (nothing known yet); every other one follows it there, waiting its turn
    // (sending 4 MiB at the 1 MiB/s this batch assumes would take longer than waiting).
    const nodes = tasks.map((t) => byName(t.name).node)
    expect(nodes).toEqual(['a', 'a', 'a', 'a'])
    expect(tasks.reduce((sum, t) => sum + byName(t.name).bytesUp, 0)).toBe(4 * MiB)
  })

  it("a node's digest of a file it returned names the file only for tasks run there: elsewhere the file is hashed here", async () => {
    const made = await input('returned.bin', 4 * MiB)
    const real = await hashFile(made.absPath)
    const lie = 'f'.repeat(64)
    const tasks = [
      { name: 'use', run: 'x', inputs: ['returned.bin'] },
      { name: 'other', run: 'x', inputs: ['returned.bin'], requires: { nodes: ['a'] }, after: ['use'] },
    ]
    const inputs = { use: [made], other: [made] }
    const nodes = () => {
      const a = new MemoryNode('a', 1)
      a.blobs.add(lie) // had `other` been sent the lie, a would run it on these bytes, sent nothing
      return [a, new MemoryNode('b', 1)]
    }

    // b kept it under the digest it gave: the task goes there, and nothing is sent.
    const truthful = await batch({ tasks, inputs, returned: { b: [[made, real]] } }, nodes())
    expect(truthful.byName('use')).toMatchObject({ status: 'succeeded', node: 'b', bytesUp: 0 })

    // b lied: the task it draws runs on the bytes b chose (as any task of b's could); a task on a is
    // asked for by the file's own digest, so its bytes are sent.
    const lying = await batch({ tasks, inputs, returned: { b: [[made, lie]] } }, nodes())
    expect(lying.byName('use')).toMatchObject({ status: 'succeeded', node: 'b', bytesUp: 0 })
    expect(lying.byName('other')).toMatchObject({ status: 'succeeded', node: 'a', bytesUp: 4 * MiB })
  })

  it("the record keeps the digests nodes gave for their returned files and the link rate, for the next batch's placement", async () => {
    const made = await input('kept.bin', MiB)
    const file = path.join(dir, 'node-blobs.json')
    const book = await BlobBook.open(file)
    const locality = new Locality(book, new HashCache())
    locality.returned('b', made, 'e'.repeat(64))
    locality.sent('b', [], 2 * MiB, 100) // 20 MiB/s
    await book.save()

    const again = new Locality(await BlobBook.open(file), new HashCache())
    expect(again.book.hinted(stampKey(made))).toEqual({ digest: 'e'.repeat(64), node: 'b' })
    expect(again.weigh([made])('b')).toBe(MiB)
    // A resubmission that uploads nothing waits as long as sending takes on this link, not at 100 MiB/s.
    expect(again.waitMs(MiB)).toBeCloseTo(50)
  })

  it('a free node takes a task whose inputs a busy node holds only once it has waited itself, one node at a time', async () => {
    // 30 MiB each: 0.3 s to send at the 100 MiB/s assumed; a is busy for 0.45 s.
    const [x, y] = [await input('x.bin', 30 * MiB), await input('y.bin', 30 * MiB)]
    const a = new MemoryNode('a', 1, (name) => (name === 'busy' ? { ms: 450 } : {}))
    const [b, c] = [new MemoryNode('b', 1, () => ({ ms: 1_000 })), new MemoryNode('c', 1)]
    const tasks = [
      { name: 'busy', run: 'x', requires: { nodes: ['a'] } },
      { name: 'u1', run: 'x', inputs: ['x.bin'] },
      { name: 'u2', run: 'x', inputs: ['y.bin'] },
    ]
    const { byName } = await batch({ tasks, inputs: { u1: [x], u2: [y] }, holding: { a: [x, y] } }, [a, b, c])

    // b waited 0.3 s and took u1; c had not waited when b's wait was over (it starts then), and a came
    // free before c's wait was: u2 ran on a, nothing sent. (Before, c took u2 along with b, sending it.)
    expect(byName('u1')).toMatchObject({ node: 'b', bytesUp: 30 * MiB })
    expect(byName('u2')).toMatchObject({ node: 'a', bytesUp: 0 })
    expect(c.ran).toEqual([])
  })

  it('a free node whose wait is over takes the task whose inputs the most waiting tasks share', async () => {
    // 30 MiB each: 0.3 s to send at the 100 MiB/s assumed; a, which holds both, is busy for 0.45 s.
    const [x, y] = [await input('one.bin', 30 * MiB), await input('many.bin', 30 * MiB)]
    const a = new MemoryNode('a', 1, (name) => (name === 'busy' ? { ms: 450 } : {}))
    const b = new MemoryNode('b', 1)
    const tasks = [
      { name: 'busy', run: 'x', requires: { nodes: ['a'] } },
      { name: 'u', run: 'x', inputs: ['one.bin'] },
      ...[1, 2, 3].map((i) => ({ name: `v${i}`, run: 'x', inputs: ['many.bin'] })),
    ]
    const inputs = { u: [x], v1: [y], v2: [y], v3: [y] }
    const { byName } = await batch({ tasks, inputs, holding: { a: [x, y] } }, [a, b])

    // b's wait over, many.bin is sent there once for three tasks (u, first in the queue, would have
    // been one transfer for one task); u then runs on a when it comes free.
    expect(b.ran[0]).toBe('v1')
    expect(byName('u')).toMatchObject({ node: 'a', bytesUp: 0 })
  })
})
