// The submitter's side of pipelining (`run.queue`, PROTOCOL.md §5): the leases running a task of ours
// that another task may be queued behind, and the task queued there, which holds no slot until the
// running task's exit hands the lease on.
import { MAX_QUEUED_PER_LEASE } from '../protocol/index.js'

/**
 * While the batch's tasks run shorter than this (a running average), the next task is sent behind a
 * running one, to start on its lease when it ends, saving the exit → run round trip. Longer tasks gain
 * nothing from it, and a task queued behind a long one would wait for it.
 */
export const PIPELINE_BELOW_MS = 250
/** A queued task still waiting after this long (its predecessor ran long after all) is taken back. */
export const PIPELINE_PATIENCE_MS = 2_000

/** The tasks queued on one lease, each behind the one before it. */
export interface Chain {
  /** Queued and not handed the lease yet: at most MAX_QUEUED_PER_LEASE (the node refuses more). */
  waiting: number
}

/** A task of ours on a lease (running, or queued there) that asked to keep it: another may queue behind it. */
export interface OpenLease {
  lease: string
  slots: number
  follower: Follower | undefined
  /** A task queued here was refused or taken back: none is queued here again. */
  closed: boolean
  chain: Chain
  /** The task on this lease is itself queued (not handed the lease yet): how it waits. */
  queued: Follower | undefined
}

/** `chain`: that of the task this one is queued behind (a new one for a task that runs on the lease now). */
export const openLease = (lease: string, slots: number, queued?: Follower): OpenLease => ({
  lease,
  slots,
  follower: undefined,
  closed: false,
  chain: queued?.chain ?? { waiting: 0 },
  queued,
})

/** A task may be queued behind `o` now. */
export const followable = (o: OpenLease): boolean => o.follower === undefined && !o.closed && o.chain.waiting < MAX_QUEUED_PER_LEASE

/** A lease among `open` that a task of `slots` slots can be queued behind. */
export function followableLease(open: readonly OpenLease[], slots: number): OpenLease | undefined {
  return open.find((o) => followable(o) && o.slots === slots)
}

export function anyFollowable(open: readonly OpenLease[]): boolean {
  return open.some(followable)
}

/**
 * A task sent to wait on the node behind the task on `open`'s lease (running, or queued there itself:
 * up to MAX_QUEUED_PER_LEASE wait on one lease, in order). Its patience runs from when the task ahead
 * of it runs.
 */
export class Follower {
  /** True once the running task's exit handed the lease on: from then on this task holds the slot. */
  holds = false
  /** True once it was taken back for waiting too long (`withdraw` was called). */
  withdrawn = false
  private patience: NodeJS.Timeout | undefined
  private stopped = false
  private readonly onTake: (() => void)[] = []
  /** Still counted in its chain's `waiting`. */
  private counted = true

  /**
   * The lease it waits on, until handed it: then let go, or every task pipelined on one slot would keep
   * the one before it alive (lease → queued follower → its lease → …; 600 bytes a task, 216 MiB of
   * RSS after 200,000 streamed tasks).
   */
  private open: OpenLease | undefined

  constructor(
    readonly token: string,
    open: OpenLease,
    withdraw: () => void,
  ) {
    this.open = open
    open.follower = this
    this.chain = open.chain
    open.chain.waiting++
    const arm = (): void => {
      if (this.stopped || this.holds) return
      this.patience = setTimeout(() => {
        if (this.holds) return
        this.withdrawn = true
        withdraw()
      }, PIPELINE_PATIENCE_MS)
    }
    if (open.queued && !open.queued.holds) open.queued.taken(arm)
    else arm()
  }

  /** The chain this task waits in (its own lease, once open, joins it). */
  readonly chain: Chain

  private uncount(): void {
    if (this.counted) this.chain.waiting--
    this.counted = false
  }

  /** Calls `listener` when the lease is handed on (at once if it already was). */
  taken(listener: () => void): void {
    if (this.holds) listener()
    else this.onTake.push(listener)
  }

  /** The running task's exit kept the lease: it is this task's now (the node has started it, or will as it arrives). */
  take(): void {
    this.stop()
    this.uncount()
    this.holds = true
    this.open = undefined
    for (const listener of this.onTake.splice(0)) listener()
  }

  /**
   * Refused by the node, or failed before its run was sent: detaches it from the lease at once, so
   * that the lease's exit does not hand it on. False when it had been handed the lease already.
   */
  leave(): boolean {
    this.uncount()
    if (this.open !== undefined) {
      if (this.open.follower === this) this.open.follower = undefined
      this.open.closed = true
    }
    return !this.holds
  }

  stop(): void {
    this.stopped = true
    clearTimeout(this.patience)
    if (!this.holds) this.uncount()
  }
}
