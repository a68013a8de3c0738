// A running task's stop switch (cancel, eviction, the submitter gone): what an AbortController gives the
// task's code, without its cost. Node's AbortController is an EventTarget whose signal is made by
// changing an object's prototype after the fact; making one, adding and removing a listener and reading
// `aborted` cost ~6 µs a task here (perf: ~3% of the daemon's CPU on `true` tasks), this ~0.1 µs.

/**
 * What the task's code reads and listens to. An AbortSignal is one too, so callers that hold a real
 * signal (tests, a library user of the executor) pass it as it is.
 */
export interface StopSignal {
  readonly aborted: boolean
  readonly reason: unknown
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void
  removeEventListener(type: 'abort', listener: () => void): void
}

export class TaskStop implements StopSignal {
  aborted = false
  reason: unknown = undefined
  // Most tasks have one listener at most (the executor's) while they run: no array until a second.
  private listeners: (() => void) | (() => void)[] | undefined = undefined

  /** Stops the task: each listener is called once, in the order added, as an AbortSignal would. */
  abort(reason?: unknown): void {
    if (this.aborted) return
    this.aborted = true
    this.reason = reason
    const listeners = this.listeners
    this.listeners = undefined
    if (listeners === undefined) return
    for (const listener of typeof listeners === 'function' ? [listeners] : listeners) {
      try {
        listener()
      } catch (error) {
        // As EventTarget does: a throwing listener does not keep the others from running.
        process.nextTick(() => {
          throw error
        })
      }
    }
  }

  addEventListener(_type: 'abort', listener: () => void, _options?: { once?: boolean }): void {
    if (this.aborted) return // an AbortSignal dispatches 'abort' once, before: a later listener is not called
    const listeners = this.listeners
    if (listeners === undefined) this.listeners = listener
    else if (typeof listeners === 'function') this.listeners = [listeners, listener]
    else listeners.push(listener)
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    const listeners = this.listeners
    if (listeners === listener) this.listeners = undefined
    else if (Array.isArray(listeners)) {
      const at = listeners.indexOf(listener)
      if (at >= 0) listeners.splice(at, 1)
    }
  }
}
