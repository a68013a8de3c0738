// Small text formatters shared by the status text, the top view and the submit spinner.

/** 75 s → "1m15s"; 4.2 s → "4s"; 2 h → "2h00m". */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000))
  if (s < 60) return `${s}s`
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`
}

/** A bar of `width` cells, filled to `fraction` (0–1). */
export function bar(fraction: number, width: number): string {
  const w = Math.max(0, width)
  const full = Math.round(Math.min(1, Math.max(0, fraction)) * w)
  return `${'█'.repeat(full)}${'░'.repeat(w - full)}`
}

/** Cuts text to `width` characters, with an ellipsis when cut. */
export function fit(text: string, width: number): string {
  if (width <= 0) return ''
  return text.length <= width ? text : `${text.slice(0, Math.max(0, width - 1))}…`
}

/** A task waiting for its dependencies: `waiting after A, B (+3 more)`, `sep` between the words. */
export function waitingText(after: readonly string[], more: number, sep = ' '): string {
  if (after.length === 0) return 'waiting'
  return `waiting${sep}after ${after.join(', ')}${more > 0 ? ` (+${more} more)` : ''}`
}
