// `distw submit` on a terminal: the plain reporter's output, with one ora spinner line below it
// (batch-progress.ts: done/total, running, failed, nodes, ETA, the progress text of a task running
// alone). The spinner is cleared before each output write and drawn again after, so streamed lines
// never mix with it. Its text is redrawn every second, so the ETA counts down between task ends.
import ora from 'ora'
import { batchProgress } from './batch-progress.js'
import { plainReporter } from './plain-reporter.js'
import type { Reporter, ReporterStreams } from './reporter.js'
import { tellBoth } from './tell-both.js'

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
  const progress = batchProgress(() => (spinner.text = progress.text()))
  const tick = setInterval(() => (spinner.text = progress.text()), 1000)
  tick.unref()
  const around = (write: (text: string | Uint8Array) => void) => (text: string | Uint8Array) => {
    spinner.clear()
    write(text)
    spinner.render()
  }
  const plain = plainReporter({ out: around(streams.out), err: around(streams.err) }, options)
  // What the batch waits for is on the spinner line, redrawn as it changes: not also as a line.
  const said = { ...plain }
  delete said.waiting
  return {
    ...tellBoth(said, progress.observer),
    summary: plain.summary,
    close: () => {
      clearInterval(tick)
      spinner.stop()
    },
  }
}
