// What `distw submit` and `distw run` do once they have their task lines: print the plan (--dry-run),
// or run the batch with the reporter the terminal calls for, Ctrl-C and a closed stdout cancelling it.
import { EXIT } from './errors.js'
import { planBatch } from './submit/plan.js'
import { submit, type SubmitOptions } from './submit/submit.js'
import { chooseReporter } from './ui/choose-reporter.js'
import { dryRunText } from './ui/dry-run.js'

export interface BatchRun {
  options: SubmitOptions
  json: boolean
  dryRun: boolean
  keepOrder: boolean
  tag: boolean
}

/** Runs (or with dryRun, only plans) the batch; sets process.exitCode. */
export async function runBatch(run: BatchRun): Promise<void> {
  if (run.dryRun) {
    const plan = await planBatch(run.options)
    for (const warning of plan.warnings) process.stderr.write(`distw: warning: ${warning}\n`)
    process.stdout.write(dryRunText(plan, { json: run.json, tag: run.tag }))
    process.exitCode = EXIT.OK
    return
  }
  const abort = new AbortController()
  const onSignal = () => abort.abort()
  // A reader that went away (`distw run … | head`) ends the batch as Ctrl-C does, but quietly: what
  // was wanted has been read, so no line per cancelled task and no summary. Writes already under way
  // then fail here instead of crashing.
  let readerGone = false
  const onStdoutError = () => {
    readerGone = true
    abort.abort()
  }
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  process.stdout.on('error', onStdoutError)
  const reporter = chooseReporter(process, { json: run.json, keepOrder: run.keepOrder, tag: run.tag, quiet: () => readerGone })
  try {
    const batch = await submit({ ...run.options, observer: reporter, signal: abort.signal })
    const exitCode = abort.signal.aborted ? EXIT.INTERRUPTED : batch.ok ? EXIT.OK : EXIT.TASK_FAILED
    reporter.finish(batch.results, batch.durationMs, exitCode)
    process.exitCode = exitCode
  } finally {
    reporter.close()
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    // Kept when stdout failed: a late write (the summary) must not turn into an uncaught error.
    if (!process.stdout.destroyed) process.stdout.off('error', onStdoutError)
  }
}

/** All of standard input, as text. */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}
