// One object per task and output stream (a line prefixer, a text decoder), made at the stream's first
// output and ended when the attempt ends: what a cut attempt held back (half a line, half a character)
// is written then, never joined with the next attempt's output.
export type OutputStream = 'stdout' | 'stderr'

export class TaskStreams<T> {
  private readonly items = new Map<string, T>()

  constructor(private readonly make: (task: string, stream: OutputStream) => T) {}

  get(task: string, stream: OutputStream): T {
    const key = `${stream}\0${task}`
    let item = this.items.get(key)
    if (item === undefined) this.items.set(key, (item = this.make(task, stream)))
    return item
  }

  /** Hands each of the task's objects (stdout first) to `finish`, and forgets them. */
  end(task: string, finish: (item: T, stream: OutputStream) => void): void {
    for (const stream of ['stdout', 'stderr'] as const) {
      const key = `${stream}\0${task}`
      const item = this.items.get(key)
      if (item === undefined) continue
      this.items.delete(key)
      finish(item, stream)
    }
  }
}
