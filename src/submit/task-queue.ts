// The batch's queue of tasks waiting for a node: higher priority first, read order among equals, a
// requeued task at its head. Placement takes tasks mostly from its head, so that is O(1): an array
// spliced at index 0 moves every task behind it, and with 10,000 queued that was 3% of the
// submitter's CPU on trivial tasks (perf, 10,000 × `true`).
import type { TaskRecord } from './task-record.js'

/** Removed head places are reclaimed once there are this many and they are half the array. */
const COMPACT_AFTER = 1024

export class TaskQueue {
  private items: (TaskRecord | undefined)[] = []
  /** Index of the first task: places before it are empty. */
  private head = 0

  get length(): number {
    return this.items.length - this.head
  }

  /** The task at place `i` (0: the head); `i` must be below length. */
  at(i: number): TaskRecord {
    return this.items[this.head + i] as TaskRecord
  }

  /** Place of `record`, or -1. */
  indexOf(record: TaskRecord): number {
    const i = this.items.indexOf(record, this.head)
    return i < 0 ? -1 : i - this.head
  }

  /** Takes out the task at place `i`. */
  removeAt(i: number): void {
    if (i !== 0) {
      this.items.splice(this.head + i, 1)
      return
    }
    this.items[this.head++] = undefined
    if (this.head === this.items.length) {
      this.items = []
      this.head = 0
    } else if (this.head >= COMPACT_AFTER && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head)
      this.head = 0
    }
  }

  /** Takes `record` out, if it is queued. */
  remove(record: TaskRecord): boolean {
    const i = this.indexOf(record)
    if (i >= 0) this.removeAt(i)
    return i >= 0
  }

  /** Puts `record` at the head (a task that runs again). */
  unshift(record: TaskRecord): void {
    if (this.head > 0) this.items[--this.head] = record
    else this.items.unshift(record)
  }

  /** Queues `record`: behind every task of its priority or higher (a task read later goes behind its equals). */
  enqueue(record: TaskRecord): void {
    const { priority } = record.spec
    let i = this.items.length
    while (i > this.head && (this.items[i - 1] as TaskRecord).spec.priority < priority) i--
    if (i === this.items.length) this.items.push(record)
    else this.items.splice(i, 0, record)
  }

  /** Empties the queue: its tasks, in order. */
  drain(): TaskRecord[] {
    const all = this.items.slice(this.head) as TaskRecord[]
    this.items = []
    this.head = 0
    return all
  }
}
