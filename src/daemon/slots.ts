// The node's slot table. A reservation is a lease: granted whole or refused (another submitter won
// the race), and taken back if it is not used before it expires. Timers run on the monotonic clock.
import { randomUUID } from 'node:crypto'
import { EventEmitter } from 'node:events'

interface Lease {
  id: string
  owner: string
  slots: number
  inUse: boolean
  expiry: NodeJS.Timeout | undefined
}

interface SlotEvents {
  /** Slots became free (a lease ended or expired). */
  freed: [free: number]
}

export class SlotTable extends EventEmitter<SlotEvents> {
  private readonly leases = new Map<string, Lease>()
  private used = 0

  constructor(
    readonly total: number,
    readonly ttlMs: number,
  ) {
    super()
  }

  get free(): number {
    return this.total - this.used
  }

  /** Grants a lease for `slots` slots, or undefined when they are not free. */
  reserve(owner: string, slots: number): string | undefined {
    if (slots > this.free) return undefined
    const lease: Lease = { id: randomUUID(), owner, slots, inUse: false, expiry: undefined }
    lease.expiry = setTimeout(() => this.release(lease.id), this.ttlMs)
    lease.expiry.unref()
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

  release(leaseId: string, owner?: string): void {
    const lease = this.leases.get(leaseId)
    if (!lease || (owner !== undefined && lease.owner !== owner)) return
    clearTimeout(lease.expiry)
    this.leases.delete(leaseId)
    this.used -= lease.slots
    this.emit('freed', this.free)
  }

  releaseOwner(owner: string): void {
    for (const lease of [...this.leases.values()]) if (lease.owner === owner) this.release(lease.id)
  }
}
