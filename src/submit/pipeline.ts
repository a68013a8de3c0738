// The submitter's side of pipelining (`run.queue`, PROTOCOL.md §5): the leases running a task of ours
// that another task may be queued behind, and the task queued there, which holds no slot until the
// running task's exit hands the lease on.

/**
 * While the batch's tasks run shorter than this (a running average), the next task is sent behind a
 * running one, to start on its lease when it ends, saving the exit → run round trip. Longer tasks gain
 * nothing from it, and a task queued behind a long one would wait for it.
 */
export const PIPELINE_BELOW_MS = 250
/** A queued task still waiting after this long (its predecessor ran long after all) is taken back. */
export const PIPELINE_PATIENCE_MS = 2_000

/** A lease running a task of ours that asked to keep it. */
export interface OpenLease {
  lease: string
  slots: number
  follower: Follower | undefined
  /** A task queued here was refused or taken back: none is queued here again. */
  closed: boolean
}

export const openLease = (lease: string, slots: number): OpenLease => ({ lease, slots, follower: undefined, closed: false })

const followable = (o: OpenLease): boolean => o.follower === undefined && !o.closed

/** A lease among `open` that a task of `slots` slots can be queued behind. */
export function followableLease(open: readonly OpenLease[], slots: number): OpenLease | undefined {
  return open.find((o) => followable(o) && o.slots === slots)
}

export function anyFollowable(open: readonly OpenLease[]): boolean {
  return open.some(followable)
}

/** A task sent to wait on the node behind the task running on `open`'s lease. */
export class Follower {
  /** True once the running task's exit handed the lease on: from then on this task holds the slot. */
  holds = false
  /** True once it was taken back for waiting too long (`withdraw` was called). */
  withdrawn = false
  private readonly patience: NodeJS.Timeout
  private readonly onTake: (() => void)[] = []

  constructor(
    readonly token: string,
    private readonly open: OpenLease,
    withdraw: () => void,
  ) {
    open.follower = this
    this.patience = setTimeout(() => {
      if (this.holds) return
      this.withdrawn = true
      withdraw()
    }, PIPELINE_PATIENCE_MS)
  }

  /** Calls `listener` when the lease is handed on (at once if it already was). */
  taken(listener: () => void): void {
    if (this.holds) listener()
    else this.onTake.push(listener)
  }

  /** The running task's exit kept the lease: it is this task's now (the node has started it, or will as it arrives). */
  take(): void {
    this.stop()
    this.holds = true
    for (const listener of this.onTake.splice(0)) listener()
  }

  /**
   * Refused by the node, or failed before its run was sent: detaches it from the lease at once, so
   * that the lease's exit does not hand it on. False when it had been handed the lease already.
   */
  leave(): boolean {
    if (this.open.follower === this) this.open.follower = undefined
    this.open.closed = true
    return !this.holds
  }

  stop(): void {
    clearTimeout(this.patience)
  }
}
