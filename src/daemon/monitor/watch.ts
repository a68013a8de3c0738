// One monitor's subscription to the node's state. Snapshots go out at most every WATCH_INTERVAL_MS,
// only when something changed (or every WATCH_KEEPALIVE_MS, for the load average), and never while
// the monitor is behind: intermediate states are dropped, the latest one goes out once it catches up.
import type { Channel } from '../../transfer/channel.js'
import type { NodeState } from './node-state.js'

export const WATCH_INTERVAL_MS = 250
export const WATCH_KEEPALIVE_MS = 2000
/** A monitor with this much unsent on its socket is behind: it gets nothing until it drains. */
export const WATCH_BEHIND_BYTES = 256 * 1024

export class WatchStream {
  private readonly timer: NodeJS.Timeout
  private lastSignature = ''
  private lastSent = 0

  constructor(
    private readonly channel: Channel,
    private readonly state: NodeState,
    private readonly viewer: string,
  ) {
    this.timer = setInterval(() => this.tick(), WATCH_INTERVAL_MS)
    this.timer.unref()
    this.tick()
  }

  stop(): void {
    clearInterval(this.timer)
  }

  private tick(): void {
    if (this.channel.closed) return this.stop()
    if (this.channel.unsent > WATCH_BEHIND_BYTES) return
    const signature = this.state.signature()
    const now = performance.now()
    if (signature === this.lastSignature && now - this.lastSent < WATCH_KEEPALIVE_MS) return
    this.lastSignature = signature
    this.lastSent = now
    void this.channel.send(this.state.snapshot(this.viewer))
  }
}
