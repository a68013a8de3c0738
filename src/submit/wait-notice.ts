// What the batch waits for while it runs nothing and tasks wait, said to the observer once per change
// (no silent waits). A locality hold (locality-wait.ts) is said like any other wait and ends by
// itself: `due` is called when its tasks may go elsewhere, for placement to look again.
import type { LocalityHold } from './locality-wait.js'
import type { SubmitObserver } from './result.js'

export class WaitNotice {
  /** What was said last (undefined: nothing is waited for). */
  private said: string | undefined
  /** Tasks wait for a node holding their inputs: said as this, and looked at again by this timer. */
  private held: { reason: string; timer: NodeJS.Timeout } | undefined
  /** The batch ended: nothing more is said. */
  private over = false

  constructor(
    private readonly observer: SubmitObserver,
    private readonly due: () => void,
  ) {}

  /** Tells the observer what the batch waits for (undefined: it waits no more), once per change. */
  say(reason: string | undefined): void {
    if (reason === this.said || this.over) return
    this.said = reason
    this.observer.waiting?.(reason)
  }

  /** Tasks were held for a node holding their inputs (undefined: none was any more). */
  hold(hold: LocalityHold | undefined): void {
    clearTimeout(this.held?.timer)
    const said = this.held?.reason
    this.held = hold && { reason: hold.reason, timer: setTimeout(this.due, Math.max(0, hold.dueAt - Date.now()) + 1) }
    if (hold) this.say(hold.reason)
    else if (said !== undefined && this.said === said) this.say(undefined)
  }

  /** The batch ended: it waits no more, and nothing more is said. */
  end(): void {
    this.say(undefined)
    this.over = true
    clearTimeout(this.held?.timer)
  }
}
