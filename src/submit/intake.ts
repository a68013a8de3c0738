// A stream of task lines into a batch that is already running: each line is parsed, checked, has the
// files it names found and its inputs resolved as soon as it arrives, and is queued at once, so the
// first task starts while later lines are still being written. A bad line is reported with its number
// and skipped; the others run. The reader waits while the queue is long (backpressure), so a fast
// producer cannot fill memory.
import { detectInputs, outsideMessage } from '../tasks/auto-inputs.js'
import {
  checkTaskSpecs,
  parseTaskLine,
  patternProblem,
  resolveEach,
  TaskFileError,
  type ResolvedInput,
  type TaskSpec,
} from '../tasks/index.js'
import { showName } from '../tasks/names.js'
import type { TaskDefaults } from '../tasks/spec.js'
import type { NameBook } from './name-book.js'

/** Task lines as they come: each string holds one or more whole lines (its last newline optional). */
export type TaskStream = AsyncIterable<string | TaskSpec>

/** Where a stream's tasks go: the scheduler, or the printer of `--dry-run`. */
export interface IntakeTarget {
  readonly names: NameBook
  /** False once the batch takes no more (cancelled, halted): reading stops. */
  readonly accepting: boolean
  add(tasks: readonly QueuedTask[]): void
  reject(line: number, name: string | undefined, message: string): void
  roomForMore(): Promise<void>
  endInput(): void
}

export interface QueuedTask {
  task: TaskSpec
  /** It succeeded in an earlier run (--resume): reported, not run. */
  done: boolean
  /** Undefined for a task with `after`: its inputs are resolved when its dependencies have run. */
  inputs?: ResolvedInput[]
}

export interface IntakeOptions {
  cwd: string
  source: string
  autoInputs: boolean
  defaults: TaskDefaults
  warn: (message: string) => void
  /** Called before a task without `after` is queued: true when it already succeeded (--resume). */
  prepared?: (task: TaskSpec, inputs: readonly ResolvedInput[]) => Promise<boolean>
}

/** Lines handled together: one await of the file system for many lines of a fast producer. */
const BATCH_LINES = 512
const BOM = 0xfeff

type Parsed = { line: number; task: TaskSpec } | { line: number; problems: string[]; name: string | undefined }

/** Reads `stream` into `target` until it ends or the target takes no more; then ends the target's input. */
export async function feed(stream: TaskStream, target: IntakeTarget, options: IntakeOptions): Promise<void> {
  let line = 0
  const parse = (item: string | TaskSpec): Parsed[] => {
    if (typeof item !== 'string') return [checkedObject(item, options.source)]
    const text = item.endsWith('\n') ? item.slice(0, -1) : item
    const out: Parsed[] = []
    let start = line === 0 && text.charCodeAt(0) === BOM ? 1 : 0
    for (;;) {
      let end = text.indexOf('\n', start)
      if (end === -1) end = text.length
      line++
      const parsed = parseTaskLine(text.slice(start, end), line, options.defaults)
      if (parsed?.ok) out.push({ line, task: parsed.task })
      else if (parsed) out.push({ line, problems: parsed.problems, name: parsed.name })
      if (end === text.length) return out
      start = end + 1
    }
  }
  try {
    for await (const item of stream) {
      const parsed = parse(item)
      for (let i = 0; i < parsed.length; i += BATCH_LINES) {
        await target.roomForMore()
        if (!target.accepting) return
        await admit(parsed.slice(i, i + BATCH_LINES), target, options)
      }
      if (!target.accepting) return
    }
  } finally {
    target.endInput()
  }
}

// A task given as an object gets the checks its line would have had.
function checkedObject(task: TaskSpec, source: string): Parsed {
  try {
    checkTaskSpecs([task], source)
    return { line: task.line, task }
  } catch (error) {
    if (!(error instanceof TaskFileError)) throw error
    return { line: task.line, problems: error.problems.map((p) => p.message), name: task.name }
  }
}

// Queues the lines in order: a bad line is reported where it stands, after the good lines before it
// are queued (with --halt now,fail=1 those run, or are cancelled, and nothing after it is queued).
async function admit(lines: readonly Parsed[], target: IntakeTarget, options: IntakeOptions): Promise<void> {
  let good: TaskSpec[] = []
  for (const p of lines) {
    const problem = 'problems' in p ? p.problems.join('; ') : undefined
    const taken = problem === undefined && 'task' in p && !target.names.claim(p.task.name, p.line)
    if (problem === undefined && !taken && 'task' in p) {
      good.push(p.task)
      continue
    }
    await queue(good, target, options)
    good = []
    if (!target.accepting) return
    if ('task' in p) target.reject(p.line, undefined, `name ${showName(p.task.name)} is already used by an earlier task`)
    else target.reject(p.line, p.name, problem ?? '')
  }
  await queue(good, target, options)
}

// Finds each task's files and resolves its inputs (a task whose inputs are wrong is a bad line), then queues.
async function queue(tasks: TaskSpec[], target: IntakeTarget, options: IntakeOptions): Promise<void> {
  if (tasks.length === 0 || !target.accepting) return
  let good = tasks
  if (options.autoInputs) {
    const detected = await detectInputs(good, options.cwd)
    good = detected.tasks
    for (const o of detected.outside) options.warn(outsideMessage(o))
  }
  const early = await resolveEach(
    good.filter((t) => t.after.length === 0),
    options.cwd,
  )
  let queued: QueuedTask[] = []
  let k = 0
  for (const task of good) {
    const files = task.after.length === 0 ? early[k++] : undefined
    // A dependent's inputs may be files its dependencies make: only their spelling is checked now.
    const problems = files?.problems ?? task.inputs.flatMap((entry) => lateProblem(entry))
    if (problems.length === 0) {
      const done = files !== undefined && (await options.prepared?.(task, files.files)) === true
      queued.push({ task, done, ...(files ? { inputs: files.files } : {}) })
      continue
    }
    target.add(queued)
    queued = []
    target.names.set(task.name, task.line, 'rejected')
    target.reject(task.line, undefined, `${task.name}: ${problems.join('; ')}`)
    if (!target.accepting) return
  }
  target.add(queued)
}

function lateProblem(entry: string): string[] {
  const problem = patternProblem(entry)
  return problem ? [`input ${JSON.stringify(entry)} ${problem}`] : []
}
