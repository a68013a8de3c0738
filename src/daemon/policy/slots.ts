// The node's slot table. A reservation is a lease: granted whole or refused (another submitter won
// the race), and taken back if it is not used before it expires. A task held for its owner's approval
// lends its slots to other tasks until it is approved. Timers run on the monotonic clock.
import { randomUUID } from 'node:crypto'
import { EventEmitter } from 'node:events'
import type { StopSignal } from '../run/task-stop.js'

interface Lease {
  id: string
  owner: string
  slots: number
  inUse: boolean
  /** Its task is held for approval: its slots are not counted as used (see lend). */
  lent: boolean
  lock: string | undefined
  expiry: NodeJS.Timeout | undefined
}

interface SlotEvents {
  /** Slots became free (a lease ended or expired), or are free when the node takes work again. */
  freed: [free: number]
}

export class SlotTable extends EventEmitter<SlotEvents> {
  private readonly leases = new Map<string, Lease>()
  private used = 0
  private readonly locks = new Set<string>()
  /** Owners refused since slots last came free: told when they do; no lease is kept while one waits. */
  private readonly waiters = new Set<string>()
  /** Lent leases whose task was approved, waiting for their slots back: first served, before any reservation. */
  private readonly takingBack: { lease: Lease; take: () => void }[] = []

  constructor(
    readonly total: number,
    readonly ttlMs: number,
  ) {
    super()
    this.setMaxListeners(0) // one listener per connected submitter
  }

  /** Why `reserve` would refuse, in words (for the refusal message). */
  whyRefused(slots: number, lock?: string): string {
    if (lock !== undefined && this.locks.has(lock)) return `lock ${lock} is held`
    return `${slots} slot(s) asked, ${this.free} free`
  }

  get free(): number {
    // Never below 0: an approved task waiting for its slots back while others run is next, not extra.
    return Math.max(0, this.total - this.used - this.takingBack.reduce((sum, t) => sum + t.lease.slots, 0))
  }

  /** Grants a lease for `slots` slots, or undefined when they are not free or `lock` is held. */
  reserve(owner: string, slots: number, lock?: string): string | undefined {
    if (slots > this.free || (lock !== undefined && this.locks.has(lock))) return undefined
    const lease: Lease = { id: randomUUID(), owner, slots, inUse: false, lent: false, lock, expiry: undefined }
    if (lock !== undefined) this.locks.add(lock)
    this.arm(lease)
    this.leases.set(lease.id, lease)
    this.used += slots
    return lease.id
  }

  /** Marks a lease as running a task: it no longer expires. False if it is not the owner's. */
  use(owner: string, leaseId: string): boolean {
    const lease = this.leases.get(leaseId)
    if (!lease || lease.owner !== owner || lease.inUse) return false
    clearTimeout(lease.expiry)
    lease.inUse = true
    return true
  }

  /**
   * Ends a task's use of its lease. With `keep`, and while no other owner waits for a slot, the lease
   * stays its owner's (unused, expiring like a fresh one) so that the next task skips a reservation
   * round trip; otherwise it is released. True when kept. `next`: a run queued on the lease takes it
   * over at once (the lease stays in use, with no expiry armed and cleared again: once a task).
   */
  finish(leaseId: string, keep: boolean, next = false): boolean {
    const lease = this.leases.get(leaseId)
    if (!lease) return false
    // A lent lease (its task was denied or cancelled while held) has no slots of its own to keep.
    if (!keep || this.othersWait(lease.owner) || lease.lent) {
      this.release(leaseId)
      return false
    }
    if (next) return true
    lease.inUse = false
    this.arm(lease)
    return true
  }

  private othersWait(owner: string): boolean {
    for (const waiter of this.waiters) if (waiter !== owner) return true
    return false
  }

  /**
   * A running task is held for its owner's approval (daemon --approve), which may take minutes: its
   * slots serve other tasks meanwhile, so an owner away from the desk leaves the node useful to
   * programs already approved. The lease (and its lock) stay the task's; takeBack returns its slots.
   * At most the node's slots are lent at once: a client that ignores this (reserving again and again
   * for programs that are then held) finds the node full, not an unbounded pile of held tasks.
   */
  lend(leaseId: string): void {
    const lease = this.leases.get(leaseId)
    if (!lease || !lease.inUse || lease.lent) return
    let lent = 0
    for (const l of this.leases.values()) if (l.lent) lent += l.slots
    if (lent + lease.slots > this.total) return
    lease.lent = true
    this.used -= lease.slots
    this.emit('freed', this.free)
  }

  /**
   * The held task was approved: its slots back, at once when they are free, else before any other
   * reservation as soon as they come free (`waiting` is called then, to say so). Rejects on `signal`.
   */
  takeBack(leaseId: string, signal: StopSignal, waiting: () => void): Promise<void> {
    const lease = this.leases.get(leaseId)
    if (!lease?.lent) return Promise.resolve()
    return new Promise((resolve, reject) => {
      const entry = {
        lease,
        take: () => {
          signal.removeEventListener('abort', onAbort)
          resolve()
        },
      }
      const onAbort = (): void => {
        this.dropTakeBack(lease)
        reject(new Error('cancelled while waiting for a slot'))
      }
      signal.addEventListener('abort', onAbort, { once: true })
      this.takingBack.push(entry)
      this.giveBack()
      if (this.takingBack.includes(entry)) waiting()
    })
  }

  /** `owner` was refused: it is told when slots come free (see `takeWaiter`), and leases are not kept meanwhile. */
  addWaiter(owner: string): void {
    this.waiters.add(owner)
  }

  /** True (once) if `owner` was waiting for free slots. */
  takeWaiter(owner: string): boolean {
    return this.waiters.delete(owner)
  }

  /** Tells waiting owners about the slots free now, as if they had just come free (a policy pause
   *  ended). With none free, nothing: they are told when a lease ends. */
  announceFree(): void {
    if (this.free > 0) this.emit('freed', this.free)
  }

  /**
   * Frees a lease. With `owner` (a `release` from the wire) only that owner's lease, and only while it
   * runs no task: a running task frees its own lease when it ends, so a client cannot oversubscribe.
   */
  release(leaseId: string, owner?: string): void {
    const lease = this.leases.get(leaseId)
    if (!lease || (owner !== undefined && (lease.owner !== owner || lease.inUse))) return
    clearTimeout(lease.expiry)
    this.leases.delete(leaseId)
    if (lease.lock !== undefined) this.locks.delete(lease.lock)
    if (lease.lent) this.dropTakeBack(lease)
    else this.used -= lease.slots
    this.giveBack()
    this.emit('freed', this.free)
  }

  // Approved held tasks take their slots back first, in the order they were approved.
  private giveBack(): void {
    for (let next = this.takingBack[0]; next && next.lease.slots <= this.total - this.used; next = this.takingBack[0]) {
      this.takingBack.shift()
      next.lease.lent = false
      this.used += next.lease.slots
      next.take()
    }
  }

  private dropTakeBack(lease: Lease): void {
    const i = this.takingBack.findIndex((t) => t.lease === lease)
    if (i >= 0) this.takingBack.splice(i, 1)
  }

  /** Restarts the expiry of an owner's leases that run no task: it is busy uploading for them. */
  refreshUnused(owner: string): void {
    for (const lease of this.leases.values()) if (lease.owner === owner && !lease.inUse) this.arm(lease)
  }

  /** Takes back an owner's leases that run no task (a running task frees its own lease when it ends). */
  releaseUnused(owner: string): void {
    this.waiters.delete(owner)
    for (const lease of [...this.leases.values()]) if (lease.owner === owner && !lease.inUse) this.release(lease.id)
  }

  // An unused lease is taken back after the TTL.
  private arm(lease: Lease): void {
    clearTimeout(lease.expiry)
    lease.expiry = setTimeout(() => this.release(lease.id), this.ttlMs)
    lease.expiry.unref()
  }
}
