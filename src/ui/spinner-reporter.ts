// `distw submit` on a terminal: the plain reporter's output, with one ora spinner line below it
// (done/total, running, failed, nodes, ETA). The spinner is cleared before each output write and
// drawn again after, so streamed lines never mix with it.
import ora from 'ora'
import { formatDuration } from './format.js'
import { plainReporter } from './plain-reporter.js'
import type { Reporter, ReporterStreams } from './reporter.js'

export function spinnerReporter(streams: ReporterStreams, stream: NodeJS.WriteStream, options: { tag?: boolean } = {}): Reporter {
  // discardStdin:false: submit may read its tasks from stdin, and raw mode would swallow Ctrl-C (ora#236).
  const spinner = ora({ stream, discardStdin: false, isEnabled: true, text: 'starting' }).start()
  const started = performance.now()
  const counts = { total: 0, done: 0, running: 0, failed: 0, nodes: 0 }
  let waiting: string | undefined
  const around = (write: (text: string | Uint8Array) => void) => (text: string | Uint8Array) => {
    spinner.clear()
    write(text)
    spinner.render()
  }
  const plain = plainReporter({ out: around(streams.out), err: around(streams.err) }, options)
  const update = () => {
    const elapsed = performance.now() - started
    const left = counts.total - counts.done
    const eta = counts.done > 0 && left > 0 ? ` · ETA ${formatDuration((elapsed / counts.done) * left)}` : ''
    const waits = waiting === undefined ? '' : ` · waiting for a node: ${waiting}`
    spinner.text = `${counts.done}/${counts.total || '?'} done · ${counts.running} running · ${counts.failed} failed · ${counts.nodes} node${counts.nodes === 1 ? '' : 's'}${eta}${waits}`
  }
  return {
    ...plain,
    batchPlanned: (total) => {
      counts.total = total
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
    taskFinished: (result) => {
      plain.taskFinished?.(result)
      // Skipped and cancelled-before-start tasks never ran.
      if (result.attempts > 0 && result.status !== 'skipped') counts.running = Math.max(0, counts.running - 1)
      counts.done++
      if (result.status === 'failed') counts.failed++
      update()
    },
    close: () => spinner.stop(),
  }
}
