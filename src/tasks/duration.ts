// Durations as people write them in task lines ("20m", "1h30m", "1.5h", "500ms"); a bare number is seconds.

const MS_PER_UNIT: ReadonlyMap<string, number> = new Map([
  ...['ms', 'msec', 'msecs'].map((u) => [u, 1] as const),
  ...['s', 'sec', 'secs', 'second', 'seconds'].map((u) => [u, 1_000] as const),
  ...['m', 'min', 'mins', 'minute', 'minutes'].map((u) => [u, 60_000] as const),
  ...['h', 'hr', 'hrs', 'hour', 'hours'].map((u) => [u, 3_600_000] as const),
  ...['d', 'day', 'days'].map((u) => [u, 86_400_000] as const),
])

const NUMBER = String.raw`(\d+(?:\.\d*)?|\.\d+)`
const BARE_NUMBER = new RegExp(`^\\s*${NUMBER}\\s*$`)
// Sticky: each match must start exactly where the previous one ended, so nothing can hide between parts.
const COMPONENT = new RegExp(`\\s*${NUMBER}\\s*([a-z]+)`, 'y')

/** The longest timer Node can arm: setTimeout fires at once for anything larger. */
export const MAX_TIMER_MS = 2 ** 31 - 1

/**
 * Parses a duration into whole milliseconds. Accepts a number of seconds, a string of seconds ("90"),
 * or number-unit parts ("1h30m", "1h 30m", "1.5h", "500ms"); units are ms, s, m, h, d (and long forms
 * such as "min" or "hours"), case-insensitive. Throws an Error saying what is accepted.
 */
export function parseDuration(s: string | number): number {
  if (typeof s === 'string') {
    const known = recent.get(s)
    if (known !== undefined) return known
    const ms = parseDurationText(s)
    if (recent.size >= RECENT_MAX) recent.clear()
    recent.set(s, ms)
    return ms
  }
  if (!Number.isFinite(s) || s < 0) throw badDuration(s)
  return Math.round(s * 1000)
}

// A task file repeats a few durations ("20m") on every line; parsing each anew was a tenth of the
// time of a cold 100,000-line parse (regexes and lower-casing before V8 has warmed up).
const recent = new Map<string, number>()
const RECENT_MAX = 256

function parseDurationText(s: string): number {
  const text = s.toLowerCase()
  const bare = BARE_NUMBER.exec(text)
  if (bare) return Math.round(Number(bare[1]) * 1000)

  let total = 0
  let pos = 0
  let parts = 0
  for (;;) {
    COMPONENT.lastIndex = pos
    const m = COMPONENT.exec(text)
    if (!m) break
    const perUnit = MS_PER_UNIT.get(m[2] ?? '')
    if (perUnit === undefined) throw badDuration(s, `unknown unit "${m[2] ?? ''}"`)
    total += Number(m[1]) * perUnit
    pos = COMPONENT.lastIndex
    parts++
  }
  if (parts === 0 || text.slice(pos).trim() !== '' || !Number.isFinite(total)) throw badDuration(s)
  return Math.round(total)
}

function badDuration(s: string | number, why?: string): Error {
  return new Error(
    `invalid duration ${JSON.stringify(s)}${why ? ` (${why})` : ''}: ` +
      'use e.g. "500ms", "90s", "20m", "1h30m" or "1.5h"; a bare number is seconds',
  )
}
