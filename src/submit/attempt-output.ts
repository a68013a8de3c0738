// Output of one attempt, held until the attempt's fate is known: a task re-run because its node was
// lost (or retried after a failure) must not show its output twice. Like GNU Parallel's default
// (--group), output appears per task, when it ends. Past `limit` bytes an attempt's output streams
// through live instead, so a chatty task cannot fill the submitter's memory.
/** Like SubmitObserver.taskOutput: a returned promise means "take no more until it settles". */
export type OutputSink = (stream: 'stdout' | 'stderr', data: Buffer) => void | Promise<void>

export const HELD_OUTPUT_LIMIT = 8 * 1024 * 1024

export class AttemptOutput {
  private held: { stream: 'stdout' | 'stderr'; data: Buffer }[] = []
  private bytes = 0
  private live = false

  constructor(
    private readonly sink: OutputSink,
    private readonly limit = HELD_OUTPUT_LIMIT,
  ) {}

  /**
   * Takes one chunk. Held output (bounded by `limit`) never waits; once output streams through, the
   * sink's promise is returned, so the caller stops reading the node's connection until it settles
   * and the node pauses the task (backpressure from the submitter's terminal to the task).
   */
  push(stream: 'stdout' | 'stderr', data: Buffer): void | Promise<void> {
    if (this.live) return this.sink(stream, data)
    // A decoded frame's Buffer is a view into the frame: copy so the frame can be freed.
    this.held.push({ stream, data: Buffer.from(data) })
    this.bytes += data.length
    if (this.bytes > this.limit) return this.flush()
    return undefined
  }

  /**
   * The attempt counts: hand over what was held, and stream the rest. All of it is handed over at
   * once (it is already in memory, and whatever follows must come after it); the promise settles when
   * every wait the sink asked for has.
   */
  flush(): void | Promise<void> {
    this.live = true
    if (this.held.length === 0) return undefined // most tasks: nothing held, nothing to wait for
    const held = this.held
    this.held = []
    const waits: Promise<void>[] = []
    for (const { stream, data } of held) {
      const wait = this.sink(stream, data)
      if (wait) waits.push(wait)
    }
    return waits.length === 0 ? undefined : Promise.all(waits).then(() => {})
  }

  /** The attempt does not count (node lost, will be retried): forget its output. */
  discard(): void {
    this.held = []
  }
}
