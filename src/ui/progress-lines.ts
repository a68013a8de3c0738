// `--bar` off a terminal (a pipe, a CI log): the progress line of batch-progress.ts printed to stderr
// once a second while it changes, since nothing can be redrawn in place there. On a terminal the
// spinner draws the same line.
import { batchProgress } from './batch-progress.js'
import type { Reporter } from './reporter.js'
import { tellBoth } from './tell-both.js'

const PROGRESS_LINE_MS = 1000

export function withProgressLines(reporter: Reporter, err: (text: string) => void): Reporter {
  const progress = batchProgress()
  let last = ''
  const tick = setInterval(() => {
    const text = progress.text()
    if (text === last) return
    last = text
    err(`distw: ${text}\n`)
  }, PROGRESS_LINE_MS)
  tick.unref()
  return {
    ...tellBoth(reporter, progress.observer),
    summary: reporter.summary,
    close: () => {
      clearInterval(tick)
      reporter.close()
    },
  }
}
