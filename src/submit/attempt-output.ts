// Output of one attempt, held until the attempt's fate is known: a task re-run because its node was
// lost (or retried after a failure) must not show its output twice. Like GNU Parallel's default
// (--group), output appears per task, when it ends. Past `limit` bytes an attempt's output streams
// through live instead, so a chatty task cannot fill the submitter's memory.
export type OutputSink = (stream: 'stdout' | 'stderr', data: Buffer) => void

export const HELD_OUTPUT_LIMIT = 8 * 1024 * 1024

export class AttemptOutput {
  private held: { stream: 'stdout' | 'stderr'; data: Buffer }[] = []
  private bytes = 0
  private live = false

  constructor(
    private readonly sink: OutputSink,
    private readonly limit = HELD_OUTPUT_LIMIT,
  ) {}

  push(stream: 'stdout' | 'stderr', data: Buffer): void {
    if (this.live) return this.sink(stream, data)
    // A decoded frame's Buffer is a view into the frame: copy so the frame can be freed.
    this.held.push({ stream, data: Buffer.from(data) })
    this.bytes += data.length
    if (this.bytes > this.limit) this.flush()
  }

  /** The attempt counts: hand over what was held, and stream the rest. */
  flush(): void {
    this.live = true
    for (const { stream, data } of this.held) this.sink(stream, data)
    this.held = []
  }

  /** The attempt does not count (node lost, will be retried): forget its output. */
  discard(): void {
    this.held = []
  }
}
