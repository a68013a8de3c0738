// Column widths and row windows for `distw top`, from the terminal size. Pure, so the components stay
// simple and a test can check any width.
import { formatSize } from '../../tasks/size.js'
import { bar, fit, formatDuration, waitingText } from '../format.js'
import type { NodeRow, TaskRow } from './model.js'

/** The slice of `count` rows to draw in `height` lines, keeping `selected` in view. */
export function visibleWindow(count: number, selected: number, height: number): [number, number] {
  const h = Math.max(1, height)
  if (count <= h) return [0, count]
  const start = Math.min(Math.max(0, selected - Math.floor(h / 2)), count - h)
  return [start, start + h]
}

const pad = (text: string, width: number) => fit(text, width).padEnd(width)

// Which node columns fit: the cache first on a narrow terminal, then address and tags, then os/arch.
function nodeColumns(width: number) {
  const widest = width >= 130
  const wide = width >= 100
  const medium = width >= 64
  const name = Math.max(8, Math.min(24, width - (widest ? 96 : wide ? 86 : medium ? 50 : 34)))
  return { name, address: wide ? 22 : 0, platform: medium ? 14 : 0, tags: wide ? 14 : 0, bar: width >= 48 ? 10 : 0, cache: widest ? 9 : 0 }
}

export function nodeHeader(width: number): string {
  const c = nodeColumns(width)
  const parts = [pad('NODE', c.name)]
  if (c.address) parts.push(pad('ADDRESS', c.address))
  if (c.platform) parts.push(pad('OS/ARCH', c.platform))
  if (c.tags) parts.push(pad('TAGS', c.tags))
  parts.push(pad('SLOTS', c.bar + 6), pad('LOAD', 6))
  if (c.cache) parts.push(pad('CACHE', c.cache))
  parts.push('STATE')
  return fit(parts.join(' '), width)
}

export function nodeLine(row: NodeRow, width: number): string {
  const c = nodeColumns(width)
  const parts = [pad(row.name, c.name)]
  if (c.address) parts.push(pad(row.address, c.address))
  if (c.platform) parts.push(pad(row.platform, c.platform))
  if (c.tags) parts.push(pad(row.tags.join(','), c.tags))
  // Runs queued behind the running ones (pipelining) as "+N": "2/2+2".
  const slots = `${row.slotsUsed}/${row.slots}${row.queued > 0 ? `+${row.queued}` : ''}`.padStart(5)
  parts.push(`${c.bar ? `${bar(row.slots ? row.slotsUsed / row.slots : 0, c.bar)} ` : ''}${slots}`)
  parts.push(pad(row.load === undefined ? '-' : row.load.toFixed(2), 6))
  if (c.cache) parts.push(pad(row.cacheBytes === undefined ? '-' : formatSize(row.cacheBytes), c.cache))
  parts.push(
    (row.status === 'lost' || row.status === 'draining') && row.reason && width >= 100 ? `${row.status} (${row.reason})` : row.status,
  )
  return fit(parts.join(' '), width)
}

// Task columns: the progress bar and status text get what the name, node and elapsed leave.
function taskColumns(width: number) {
  const name = Math.max(8, Math.min(28, Math.floor(width * 0.25)))
  const node = width >= 72 ? Math.min(18, Math.floor(width * 0.15)) : 0
  const rest = width - name - node - 9 - 2
  return { name, node, bar: rest >= 30 ? 16 : rest >= 16 ? 8 : 0, rest }
}

export function taskHeader(width: number): string {
  const c = taskColumns(width)
  return fit([pad('  TASK', c.name + 2), ...(c.node ? [pad('NODE', c.node)] : []), pad('ELAPSED', 8), 'PROGRESS'].join(' '), width)
}

export function taskLine(row: TaskRow, width: number): string {
  const c = taskColumns(width)
  const mark = row.mine ? '* ' : '  '
  const parts = [mark + pad(row.name, c.name)]
  if (c.node) parts.push(pad(row.node, c.node))
  parts.push((row.waiting ? '-' : formatDuration(row.elapsedMs)).padStart(7) + ' ')
  parts.push(
    row.waiting
      ? waitingText(row.waiting.after, row.waiting.more)
      : row.held
        ? `waiting for approval: ${row.held.program}`
        : progressText(row.percent, row.text, c.bar),
  )
  return fit(parts.join(' '), width)
}

/** `████░░░░  45% encoding`, or the status text alone before any percent arrived. */
export function progressText(percent: number | null, text: string, barWidth: number): string {
  if (percent === null) return text || 'running'
  const pct = `${String(Math.round(percent)).padStart(3)}%`
  return [barWidth > 0 ? bar(percent / 100, barWidth) : '', pct, text].filter(Boolean).join(' ')
}
