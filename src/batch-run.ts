// What `distw submit` and `distw run` do once they have their task lines (a whole file, or a stream
// from a pipe): print the plan (--dry-run), or run the batch with the reporter the terminal calls for, Ctrl-C and a closed stdout cancelling it.
import v8 from 'node:v8'
import { EXIT } from './errors.js'
import type { TaskStream } from './submit/intake.js'
import { planBatch, type PlanOptions } from './submit/plan.js'
import { planStream } from './submit/plan-stream.js'
import { lineChunks } from './tasks/line-chunks.js'
import { submit, type SubmitOptions } from './submit/submit.js'
import { chooseReporter } from './ui/choose-reporter.js'
import { dryRunLine, dryRunText } from './ui/dry-run.js'

export interface BatchRun {
  options: SubmitOptions
  json: boolean
  dryRun: boolean
  keepOrder: boolean
  tag: boolean
  /** `--bar`/`--no-bar`; unset: the progress line on a terminal only. */
  bar?: boolean
}

/** Runs (or with dryRun, only plans) the batch; sets process.exitCode. */
export async function runBatch(run: BatchRun): Promise<void> {
  const { tasks } = run.options
  holdYoungGeneration()
  if (run.dryRun) {
    process.exitCode =
      typeof tasks === 'string' || Array.isArray(tasks)
        ? await dryRun({ ...run.options, tasks }, run)
        : await dryRunStream({ ...run.options, tasks }, run)
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
  const reporter = chooseReporter(process, {
    json: run.json,
    keepOrder: run.keepOrder,
    tag: run.tag,
    ...(run.bar === undefined ? {} : { bar: run.bar }),
    quiet: () => readerGone,
  })
  try {
    const batch = await submit({ ...run.options, observer: reporter, signal: abort.signal })
    // A bad line of a stream is a usage error, even when every task that ran succeeded.
    const exitCode = readerGone
      ? EXIT.READER_GONE
      : abort.signal.aborted
        ? EXIT.INTERRUPTED
        : batch.rejected > 0
          ? EXIT.USAGE
          : batch.ok
            ? EXIT.OK
            : EXIT.TASK_FAILED
    reporter.finish(batch, exitCode)
    process.exitCode = exitCode
  } finally {
    reporter.close()
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    // Kept when stdout failed: a late write (the summary) must not turn into an uncaught error.
    if (!process.stdout.destroyed) process.stdout.off('error', onStdoutError)
    // A stream the batch stopped reading (Ctrl-C, --halt) must not hold the process open.
    if (typeof tasks !== 'string' && !Array.isArray(tasks)) process.stdin.destroy()
  }
}

// The plan of a task file, printed whole: a bad line stops it before anything is printed.
async function dryRun(options: PlanOptions, run: BatchRun): Promise<number> {
  const plan = await planBatch(options)
  for (const warning of plan.warnings) process.stderr.write(`distw: warning: ${warning}\n`)
  process.stdout.write(dryRunText(plan, { json: run.json, tag: run.tag }))
  return EXIT.OK
}

// The plan of a stream, a task a line as they come; a bad line is said at once and makes the exit code 2.
async function dryRunStream(options: Omit<PlanOptions, 'tasks'> & { tasks: TaskStream }, run: BatchRun): Promise<number> {
  const rejected = await planStream(options, {
    task: (task, inputs) => process.stdout.write(dryRunLine(task, inputs, { json: run.json, tag: run.tag })),
    rejected: ({ source, line, message }) => process.stderr.write(`distw: ${source}:${line}: ${message}\n`),
    warning: (message) => process.stderr.write(`distw: warning: ${message}\n`),
  })
  return rejected > 0 ? EXIT.USAGE : EXIT.OK
}

/** Standard input as whole lines, as they arrive (a stream of task lines or of arguments). */
export function stdinLines(delimiter = '\n'): AsyncIterable<string> {
  return lineChunks(process.stdin, delimiter)
}

// A batch may run for hours (an endless stream), so its memory should not depend on how fast tasks
// go by. V8 sizes the young generation by the allocation rate, from 1 to 16 MiB a semi-space, up and
// down as a loaded machine speeds and slows the tasks: that alone moved the submitter's RSS between
// 85 and 121 MiB over 100,000 piped tasks while its live heap stayed at 21 MiB. Here it stops
// growing past the size loading the CLI gave it (8 MiB a semi-space): 86/91/89 MiB at 25k/50k/100k
// tasks, for no more CPU a task (even held at 1 MiB: 3.4-3.9 s for 6,000 tasks, against 3.7-4.2 s).
// Only a startup flag caps it (--max-semi-space-size, which an npm bin cannot pass); set now, a
// growth factor of 1 does (V8 raises a factor below 2 only when it reads its flags at start). Should
// a V8 ignore it, the young generation sizes itself as before.
function holdYoungGeneration(): void {
  v8.setFlagsFromString('--semi-space-growth-factor=1')
}
