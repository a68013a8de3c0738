// Whether a batch still takes tasks (a stream that has not ended), and the stream's backpressure: its
// reader waits while the queue of tasks that could start now is long, and reads on once it is short.
/** The reader pauses at this many startable tasks waiting, and reads on below half as many. */
export const BACKLOG_HIGH = 4_096
const BACKLOG_LOW = BACKLOG_HIGH / 2

export class StreamGate {
  private room: (() => void) | undefined

  constructor(
    private isOpen: boolean,
    /** Tasks queued that could start now (those waiting for a later line's task do not count: only reading on helps them). */
    private readonly backlog: () => number,
  ) {}

  get open(): boolean {
    return this.isOpen
  }

  /** No more tasks come (the stream ended, or the batch was cancelled or halted); a waiting reader goes on, to stop. */
  close(): void {
    this.isOpen = false
    this.changed()
  }

  /** Resolves when the reader may read on. */
  roomForMore(): Promise<void> {
    if (!this.crowded(BACKLOG_HIGH)) return Promise.resolve()
    return new Promise((resolve) => (this.room = resolve))
  }

  /** The queue changed: a waiting reader reads on once it is short. */
  changed(): void {
    if (this.room === undefined || this.crowded(BACKLOG_LOW)) return
    const room = this.room
    this.room = undefined
    room()
  }

  private crowded(limit: number): boolean {
    return this.isOpen && this.backlog() >= limit
  }
}
