// What `distw submit` prints when it is not drawing a TUI: task output line by line, prefixed with
// the task's name, then one line per finished task and a summary.
import { totalsOf, type BatchTotals, type SubmitObserver, type TaskResult } from '../submit/result.js'
import { LinePrefixer } from './line-prefixer.js'
import { TaskStreams } from './task-streams.js'

export interface PlainReporterStreams {
  /** Like stream.write: returning false means "slow down" and output waits for drained(). */
  out: (text: string | Uint8Array) => boolean | void
  err: (text: string | Uint8Array) => boolean | void
  /** Resolves when the stream that returned false can take more. */
  drained?: (stream: 'out' | 'err') => Promise<void>
}

/** `tag: false` (`--no-tag`): output bytes pass as they are, with no prefix and no line splitting. */
export function plainReporter(
  streams: PlainReporterStreams,
  options: { tag?: boolean } = {},
): SubmitObserver & { summary(results: TaskResult[], durationMs: number, totals?: BatchTotals): string } {
  const tag = options.tag ?? true
  const prefixers = new TaskStreams((task, stream) => new LinePrefixer(`[${task}] `, stream === 'stdout' ? streams.out : streams.err))
  const endOutput = (task: string) => prefixers.end(task, (prefixer) => prefixer.flush())
  const push = (task: string, stream: 'stdout' | 'stderr', data: Buffer): boolean =>
    tag ? prefixers.get(task, stream).push(data) : (stream === 'stdout' ? streams.out : streams.err)(data) !== false
  // By name, not id: a daemon restarted at the same address is the same machine to the reader.
  const lost = new Set<string>()
  const waits = new WaitNotice((text) => void streams.err(text))
  // Tasks whose failure was said as their bad line (lineRejected): not said again when they finish.
  const saidAsLine = new Set<string>()
  return {
    warning: (message) => streams.err(`distw: warning: ${message}\n`),
    lineRejected: ({ source, line, message, task }) => {
      if (task !== undefined) saidAsLine.add(task)
      streams.err(`distw: ${source}:${line}: ${message}\n`)
    },
    waiting: (reason) => waits.update(reason),
    nodeAdded: (node) => {
      if (lost.delete(node.name)) streams.err(`distw: node ${node.name} is back\n`)
    },
    nodeLost: (node, reason) => {
      lost.add(node.name)
      streams.err(`distw: node ${node.name} lost (${reason}); its tasks go back to the queue\n`)
    },
    taskStarted: (task) => endOutput(task.name),
    // A slow terminal or pipe slows the task itself: the promise holds the connection, then the node.
    taskOutput: (task, stream, data) => {
      if (push(task.name, stream, data) || !streams.drained) return
      return streams.drained(stream === 'stdout' ? 'out' : 'err')
    },
    taskFinished: (result) => {
      endOutput(result.name)
      if (result.status !== 'succeeded' && !saidAsLine.delete(result.name))
        streams.err(`distw: ${result.name} ${result.status}: ${why(result)}\n`)
      // Links, FIFOs and devices the task made are not brought back: said, so a missing output is not a mystery.
      if (result.skipped.length > 0) streams.err(`distw: ${result.name}: not returned: ${notReturned(result.skipped)}\n`)
    },
    summary: (results, durationMs, totals) => {
      waits.update(undefined)
      return summarize(results, durationMs, totals)
    },
  }
}

/** A wait for a node is said once it passes this long: shorter ones (a slot taken for a moment) are noise. */
export const WAIT_NOTICE_MS = 5_000

// Says what the batch waits for, once per wait, when the wait passes WAIT_NOTICE_MS.
class WaitNotice {
  private reason: string | undefined
  private timer: NodeJS.Timeout | undefined

  constructor(private readonly write: (text: string) => void) {}

  update(reason: string | undefined): void {
    this.reason = reason
    if (reason === undefined) {
      clearTimeout(this.timer)
      this.timer = undefined
      return
    }
    // The timer of a wait already under way goes on: the reason it prints is the latest.
    this.timer ??= setTimeout(
      () => this.write(`distw: waiting for a node for ${WAIT_NOTICE_MS / 1000} s: ${this.reason ?? ''}\n`),
      WAIT_NOTICE_MS,
    )
    this.timer.unref()
  }
}

// The reason, and how many attempts it took when there were retries ("exit code 1, after 3 attempts").
const why = (r: TaskResult): string => `${r.reason ?? 'unknown'}${r.attempts > 1 ? `, after ${r.attempts} attempts` : ''}`

const SKIPPED_SHOWN = 5

// "pw, rel: symbolic links are not returned; fifo: not a regular file", a few paths per reason.
function notReturned(skipped: TaskResult['skipped']): string {
  const byReason = new Map<string, string[]>()
  for (const { path, reason } of skipped) byReason.set(reason, [...(byReason.get(reason) ?? []), path])
  return [...byReason]
    .map(([reason, paths]) => {
      const more = paths.length > SKIPPED_SHOWN ? ` and ${paths.length - SKIPPED_SHOWN} more` : ''
      return `${paths.slice(0, SKIPPED_SHOWN).join(', ')}${more}: ${reason}`
    })
    .join('; ')
}

/** `totals`: when `results` holds only some of the tasks (a stream keeps those that did not succeed). */
export function summarize(results: TaskResult[], durationMs: number, totals: BatchTotals = totalsOf(results)): string {
  const { counts, filesReturned: files, rejected, resumed } = totals
  const tasks = counts.succeeded + counts.failed + counts.skipped + counts.cancelled
  const before = resumed > 0 ? ` (${resumed} in an earlier run, not run again: --resume)` : ''
  const parts = [`${counts.succeeded} succeeded${before}`, `${counts.failed} failed`]
  if (counts.skipped > 0) parts.push(`${counts.skipped} skipped`)
  if (counts.cancelled > 0) parts.push(`${counts.cancelled} cancelled`)
  const bad = rejected > 0 ? `; ${plural(rejected, 'line')} rejected` : ''
  const lines = [
    `distw: ${plural(tasks, 'task')}: ${parts.join(', ')}${bad}; ${plural(files, 'file')} returned; ${(durationMs / 1000).toFixed(1)}s`,
  ]
  let listed = 0
  for (const r of results) {
    if (r.status === 'succeeded') continue
    listed++
    lines.push(`  ${r.status}: ${r.name} (line ${r.line})${r.node ? ` on ${r.node}` : ''}: ${why(r)}`)
  }
  const unlisted = tasks - counts.succeeded - listed
  if (unlisted > 0) lines.push(`  …and ${unlisted} more that did not succeed (the job log and --json list every task)`)
  return `${lines.join('\n')}\n`
}

const plural = (n: number, noun: string): string => `${n} ${noun}${n === 1 ? '' : 's'}`
