// `distw submit` on a terminal: the plain reporter's output, with one ora spinner line below it
// (done/total, running, failed, nodes, ETA, and the progress text of a task running alone). The
// spinner is cleared before each output write and drawn again after, so streamed lines never mix
// with it. Its text is redrawn every second, so the ETA counts down between task ends.
import ora from 'ora'
import { formatDuration } from './format.js'
import { plainReporter } from './plain-reporter.js'
import type { Reporter, ReporterStreams } from './reporter.js'

export function spinnerReporter(
  streams: ReporterStreams,
  stream: NodeJS.WriteStream,
  options: { tag?: boolean; color?: boolean } = {},
): Reporter {
  // discardStdin:false: submit may read its tasks from stdin, and raw mode would swallow Ctrl-C (ora#236).
  // color:false for NO_COLOR: ora's chalk colours whatever a terminal supports.
  const spinner = ora({
    stream,
    discardStdin: false,
    isEnabled: true,
    text: 'starting',
    ...(options.color === false ? { color: false } : {}),
  }).start()
  const started = performance.now()
  const counts = { total: 0, done: 0, running: 0, failed: 0, nodes: 0 }
  // A stream is never planned: its total grows as its lines are read.
  let planned = false
  let waiting: string | undefined
  /** When the last task ended (ms since start): the ETA counts from there. */
  let lastDoneAt = 0
  /** The last `::distw::progress` of each running task, shown when it is the only one running. */
  const progress = new Map<string, string>()
  const around = (write: (text: string | Uint8Array) => void) => (text: string | Uint8Array) => {
    spinner.clear()
    write(text)
    spinner.render()
  }
  const plain = plainReporter({ out: around(streams.out), err: around(streams.err) }, options)
  const update = () => {
    const elapsed = performance.now() - started
    const left = counts.total - counts.done
    // The average so far, projected from the last end: it moves down every second, not only at an end.
    const eta = counts.done > 0 && left > 0 ? ` · ETA ${formatDuration((lastDoneAt / counts.done) * left - (elapsed - lastDoneAt))}` : ''
    const [alone] = counts.running === 1 && progress.size === 1 ? progress.values() : []
    const waits = waiting === undefined ? '' : ` · waiting for a node: ${waiting}`
    spinner.text = `${counts.done}/${counts.total || '?'} done · ${counts.running} running · ${counts.failed} failed · ${counts.nodes} node${counts.nodes === 1 ? '' : 's'}${eta}${alone === undefined ? '' : ` · ${alone}`}${waits}`
  }
  const tick = setInterval(update, 1000)
  tick.unref()
  return {
    ...plain,
    batchPlanned: (total) => {
      planned = true
      counts.total = total
      update()
    },
    taskQueued: () => {
      if (planned) return
      counts.total++
      update()
    },
    waiting: (reason) => {
      waiting = reason
      update()
    },
    nodeAdded: () => {
      counts.nodes++
      update()
    },
    nodeLost: () => {
      counts.nodes = Math.max(0, counts.nodes - 1)
      update()
    },
    taskStarted: () => {
      counts.running++
      update()
    },
    taskProgress: (task, percent, text) => {
      progress.set(task.name, `${task.name} ${Math.round(percent)}%${text ? ` ${text}` : ''}`)
      update()
    },
    taskFinished: (result) => {
      plain.taskFinished?.(result)
      progress.delete(result.name)
      lastDoneAt = performance.now() - started
      // Skipped and cancelled-before-start tasks never ran.
      if (result.attempts > 0 && result.status !== 'skipped') counts.running = Math.max(0, counts.running - 1)
      counts.done++
      if (result.status === 'failed') counts.failed++
      update()
    },
    close: () => {
      clearInterval(tick)
      spinner.stop()
    },
  }
}
