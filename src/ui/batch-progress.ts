// The one line that says how a batch is doing: done/total, running, failed, nodes, the ETA, the
// progress text of a task running alone, and what the batch waits for. Kept from the observer's
// events; the spinner draws it in place on a terminal, and `--bar` prints it elsewhere (progress-lines.ts).
import type { SubmitObserver } from '../submit/result.js'
import { formatDuration } from './format.js'

export type ProgressObserver = Required<
  Pick<
    SubmitObserver,
    'batchPlanned' | 'taskQueued' | 'waiting' | 'nodeAdded' | 'nodeLost' | 'taskStarted' | 'taskProgress' | 'taskFinished'
  >
>

export interface BatchProgress {
  /** Feeds the line; `changed` is called after each event. */
  observer: ProgressObserver
  text(): string
}

export function batchProgress(changed: () => void = () => {}): BatchProgress {
  const started = performance.now()
  const counts = { total: 0, done: 0, running: 0, failed: 0, nodes: 0 }
  // A stream is never planned: its total grows as its lines are read.
  let planned = false
  let waiting: string | undefined
  /** When the last task ended (ms since start): the ETA counts from there. */
  let lastDoneAt = 0
  /** The last `::distw::progress` of each running task, shown when it is the only one running. */
  const progress = new Map<string, string>()
  const after =
    <A extends unknown[]>(apply: (...args: A) => void) =>
    (...args: A): void => {
      apply(...args)
      changed()
    }
  return {
    observer: {
      batchPlanned: after((total) => {
        planned = true
        counts.total = total
      }),
      taskQueued: after(() => {
        if (!planned) counts.total++
      }),
      waiting: after((reason) => (waiting = reason)),
      nodeAdded: after(() => counts.nodes++),
      nodeLost: after(() => (counts.nodes = Math.max(0, counts.nodes - 1))),
      taskStarted: after(() => counts.running++),
      taskProgress: after((task, percent, text) => {
        progress.set(task.name, `${task.name} ${Math.round(percent)}%${text ? ` ${text}` : ''}`)
      }),
      taskFinished: after((result) => {
        progress.delete(result.name)
        lastDoneAt = performance.now() - started
        // Skipped and cancelled-before-start tasks never ran.
        if (result.attempts > 0 && result.status !== 'skipped') counts.running = Math.max(0, counts.running - 1)
        counts.done++
        if (result.status === 'failed') counts.failed++
      }),
    },
    text: () => {
      const elapsed = performance.now() - started
      const left = counts.total - counts.done
      // The average so far, projected from the last end: it moves down every second, not only at an end.
      const eta = counts.done > 0 && left > 0 ? ` · ETA ${formatDuration((lastDoneAt / counts.done) * left - (elapsed - lastDoneAt))}` : ''
      const [alone] = counts.running === 1 && progress.size === 1 ? progress.values() : []
      const waits = waiting === undefined ? '' : ` · waiting for a node: ${waiting}`
      const nodes = `${counts.nodes} node${counts.nodes === 1 ? '' : 's'}`
      return `${counts.done}/${counts.total || '?'} done · ${counts.running} running · ${counts.failed} failed · ${nodes}${eta}${alone === undefined ? '' : ` · ${alone}`}${waits}`
    },
  }
}
