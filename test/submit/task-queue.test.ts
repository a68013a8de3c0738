// The batch's queue (task-queue.ts): priority order, a requeued task at the head, and removals from
// anywhere, checked against a plain array doing the same through enough removals at the head that
// the queue reclaims its head places several times.
import { describe, expect, it } from 'vitest'
import { TaskQueue } from '../../src/submit/task-queue.js'
import { TaskRecord } from '../../src/submit/task-record.js'
import { taskSpec } from '../helpers/task-spec.js'

const record = (line: number, priority = 0): TaskRecord =>
  new TaskRecord(taskSpec({ name: `t${line}`, line, priority, command: { shell: 'true' } }))
const names = (q: TaskQueue): string[] => Array.from({ length: q.length }, (_, i) => q.at(i).spec.name)

describe('TaskQueue', () => {
  it('queues by priority, read order among equals, requeued tasks at the head', () => {
    const q = new TaskQueue()
    const [a, b, c, d] = [record(1), record(2, 5), record(3), record(4, 5)]
    for (const r of [a, b, c, d]) q.enqueue(r as TaskRecord)
    expect(names(q)).toEqual(['t2', 't4', 't1', 't3'])
    q.removeAt(0)
    q.remove(c as TaskRecord)
    q.unshift(b as TaskRecord)
    q.unshift(c as TaskRecord)
    expect(names(q)).toEqual(['t3', 't2', 't4', 't1'])
    expect(q.indexOf(a as TaskRecord)).toBe(3)
    expect(q.remove(d as TaskRecord)).toBe(true)
    expect(q.remove(d as TaskRecord)).toBe(false)
    expect(q.drain().map((r) => r.spec.name)).toEqual(['t3', 't2', 't1'])
    expect(q.length).toBe(0)
  })

  it('stays in step with an array through many removals at the head and elsewhere', () => {
    const q = new TaskQueue()
    const plain: TaskRecord[] = []
    let line = 0
    let seed = 7
    const random = (n: number): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n
    for (let step = 0; step < 20_000; step++) {
      const roll = random(10)
      if (roll < 5 || plain.length === 0) {
        const r = record(++line, random(3))
        q.enqueue(r)
        let i = plain.length
        while (i > 0 && (plain[i - 1] as TaskRecord).spec.priority < r.spec.priority) i--
        plain.splice(i, 0, r)
      } else if (roll < 8) {
        q.removeAt(0)
        plain.shift()
      } else if (roll < 9) {
        const r = plain[random(plain.length)] as TaskRecord
        q.remove(r)
        plain.splice(plain.indexOf(r), 1)
      } else {
        const r = plain.shift() as TaskRecord
        q.removeAt(0)
        q.unshift(r)
        plain.unshift(r)
      }
      if (step % 1000 === 0) expect(names(q)).toEqual(plain.map((r) => r.spec.name))
    }
    expect(names(q)).toEqual(plain.map((r) => r.spec.name))
  })
})
