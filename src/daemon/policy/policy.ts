// Node policy for machines people also use (NetDist's idle windows, HTCondor's desktop policy): accept
// new tasks only within --hours, not above --max-load, not past --daily-budget of task time. A policy
// only refuses new reservations; running tasks are left alone (eviction is a separate, explicit choice).
import { EventEmitter } from 'node:events'
import os from 'node:os'

export interface HoursWindow {
  /** Minutes after local midnight; a window with start > end wraps past midnight (19:00-07:00). */
  start: number
  end: number
  text: string
}

export interface PolicyOptions {
  hours?: HoursWindow
  maxLoad?: number
  dailyBudgetMs?: number
  /** Stop running tasks while paused (checked every evictCheckMs). Without it, running tasks always finish. */
  evict?: boolean
  evictCheckMs?: number
  /** Once a pause is seen, how often to check whether the policy accepts again (default 1000 ms). */
  openCheckMs?: number
}

interface PolicyEvents {
  /** The policy accepts new tasks again after a pause was seen (hours window opened, load fell, new day). */
  open: []
}

/** The clock and load source; injected by tests. */
export interface PolicyEnvironment {
  now(): Date
  /** The 1-minute load average divided by nothing: what `uptime` shows. */
  load(): number
}

export interface PolicyState {
  paused: boolean
  /** e.g. "paused: outside hours 19:00-07:00"; absent when accepting. */
  reason?: string
  /** Task time used today (local day), running tasks included. */
  budgetUsedMs: number
  budgetMs?: number
  load: number
  maxLoad?: number
  hours?: string
}

export const systemEnvironment: PolicyEnvironment = { now: () => new Date(), load: () => os.loadavg()[0] ?? 0 }

// Parses "HH:MM-HH:MM" (24-hour clock, local time); throws an Error saying the expected form.
export function parseHours(text: string): HoursWindow {
  const match = /^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$/.exec(text)
  const minutes = (h: string | undefined, m: string | undefined) => {
    const hh = Number(h)
    const mm = Number(m)
    return hh <= 24 && mm < 60 && hh * 60 + mm <= 24 * 60 ? hh * 60 + mm : Number.NaN
  }
  const start = minutes(match?.[1], match?.[2])
  const end = minutes(match?.[3], match?.[4])
  if (!match || Number.isNaN(start) || Number.isNaN(end) || start === end)
    throw new Error(`"${text}" is not an hours window: write START-END on the 24-hour clock, e.g. 19:00-07:00`)
  return { start, end, text: text.trim() }
}

// True when `date` (local time) falls within the window.
export function withinHours(window: HoursWindow, date: Date): boolean {
  const minute = date.getHours() * 60 + date.getMinutes()
  return window.start < window.end ? minute >= window.start && minute < window.end : minute >= window.start || minute < window.end
}

// Local midnight before `date`, and `days` days after that one, in ms since the epoch.
function dayStart(date: Date, days = 0): number {
  return new Date(date.getFullYear(), date.getMonth(), date.getDate() + days).getTime()
}

export class NodePolicy extends EventEmitter<PolicyEvents> {
  /** The current local day, [from, to) in ms since the epoch: a task's end looks up no calendar within it. */
  private dayFrom = Number.NaN
  private dayTo = Number.NaN
  private finishedTodayMs = 0
  private readonly running = new Set<{ since: number; evict: (reason: string) => void }>()
  private evictTimer: NodeJS.Timeout | undefined
  /** Runs from the first pause seen until the policy accepts again. */
  private openTimer: NodeJS.Timeout | undefined
  private stopped = false

  constructor(
    readonly options: PolicyOptions,
    private readonly env: PolicyEnvironment = systemEnvironment,
    private readonly log: (event: string, fields?: Record<string, unknown>) => void = () => {},
  ) {
    super()
    if (options.evict) {
      this.evictTimer = setInterval(() => this.evictIfPaused(), options.evictCheckMs ?? 5_000)
      this.evictTimer.unref()
    }
  }

  /** Stops the timers (the daemon is closing). */
  stop(): void {
    this.stopped = true
    clearInterval(this.evictTimer)
    clearInterval(this.openTimer)
  }

  // With --evict: while paused, every running task is stopped (its submitter runs it again elsewhere or later).
  private evictIfPaused(): void {
    const reason = this.pauseReason()
    if (reason === undefined || this.running.size === 0) return
    this.log('evicting tasks', { reason, tasks: this.running.size })
    for (const task of this.running) task.evict(reason)
  }

  /** Why new tasks are refused now ("paused: …"), or undefined when they are accepted. A pause seen
   *  here is followed by one `open` event when it ends. */
  pauseReason(): string | undefined {
    const reason = this.evaluate()
    if (reason !== undefined) this.watchForOpen(reason)
    return reason
  }

  // The clock and the load change with no event of their own, so the end of a pause is found by
  // polling, and only while paused: a pause frees no slot, and submitters refused during it wait for a
  // `free` notice (the daemon sends it on `open`). A pause shorter than one check is still seen: it was
  // seen when it refused someone, and the next check finds it over.
  private watchForOpen(reason: string): void {
    if (this.openTimer !== undefined || this.stopped) return
    this.log('policy paused', { reason })
    this.openTimer = setInterval(() => {
      if (this.evaluate() !== undefined) return
      clearInterval(this.openTimer)
      this.openTimer = undefined
      this.log('policy open')
      this.emit('open')
    }, this.options.openCheckMs ?? 1_000)
    this.openTimer.unref()
  }

  private evaluate(): string | undefined {
    const { hours, maxLoad, dailyBudgetMs } = this.options
    // Asked at every reservation and every task's end: with no policy set (the default), nothing to look at.
    if (hours === undefined && maxLoad === undefined && dailyBudgetMs === undefined) return undefined
    const now = this.env.now()
    if (hours && !withinHours(hours, now)) return `paused: outside hours ${hours.text}`
    if (maxLoad !== undefined) {
      const load = this.env.load()
      if (load > maxLoad) return `paused: load ${load.toFixed(2)} above ${maxLoad}`
    }
    if (dailyBudgetMs !== undefined && this.budgetUsedMs(now) >= dailyBudgetMs)
      return `paused: daily budget ${formatHours(dailyBudgetMs)} used`
    return undefined
  }

  /** Counts a task's time against the daily budget from now; call the returned function when it ends.
   *  `evict` stops the task, with the pause as the reason; it is called only with the evict option. */
  taskStarted(evict: (reason: string) => void = () => {}): () => void {
    const entry = { since: this.env.now().getTime(), evict }
    this.running.add(entry)
    return () => {
      if (!this.running.delete(entry)) return
      const now = this.env.now()
      this.rollDay(now)
      this.finishedTodayMs += now.getTime() - Math.max(entry.since, this.dayFrom)
    }
  }

  /** Task time used on the current local day, running tasks included. */
  budgetUsedMs(now = this.env.now()): number {
    this.rollDay(now)
    let used = this.finishedTodayMs
    for (const task of this.running) used += now.getTime() - Math.max(task.since, this.dayFrom)
    return used
  }

  /** What `peers`/`top` show about this node's policy. */
  policyState(): PolicyState {
    const reason = this.pauseReason()
    return {
      paused: reason !== undefined,
      ...(reason === undefined ? {} : { reason }),
      budgetUsedMs: this.budgetUsedMs(),
      ...(this.options.dailyBudgetMs === undefined ? {} : { budgetMs: this.options.dailyBudgetMs }),
      load: this.env.load(),
      ...(this.options.maxLoad === undefined ? {} : { maxLoad: this.options.maxLoad }),
      ...(this.options.hours === undefined ? {} : { hours: this.options.hours.text }),
    }
  }

  // A new local day starts the budget again.
  private rollDay(now: Date): void {
    const at = now.getTime()
    if (at >= this.dayFrom && at < this.dayTo) return
    const from = dayStart(now)
    this.dayTo = dayStart(now, 1)
    if (from === this.dayFrom) return
    this.dayFrom = from
    this.finishedTodayMs = 0
  }
}

// "4h", "1.5h", "30m" for messages.
function formatHours(ms: number): string {
  return ms % 3_600_000 === 0 ? `${ms / 3_600_000}h` : `${Math.round(ms / 60_000)}m`
}
