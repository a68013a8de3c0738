// A batch before anything is sent: its task lines parsed and checked, the files each plain line names
// found, and every input resolved. submit() runs such a plan; `--dry-run` only prints it.
import path from 'node:path'
import { detectInputs, outsideMessage } from '../tasks/auto-inputs.js'
import {
  checkTaskSpecs,
  parseTasks,
  patternProblem,
  resolveAllInputs,
  TaskFileError,
  topoOrder,
  type ResolvedInput,
  type TaskProblem,
  type TaskSpec,
} from '../tasks/index.js'
import type { TaskDefaults } from '../tasks/spec.js'

export interface PlanOptions {
  /** The text of a task file, or tasks already parsed. */
  tasks: string | TaskSpec[]
  /** Name of the task file, for error messages (`tasks.txt:7: …`). */
  source?: string
  /** Folder that inputs are relative to. Default: cwd. */
  cwd?: string
  /** Send the files a plain line names as its inputs (default true; `--no-auto-inputs` turns it off). */
  autoInputs?: boolean
  /** Timeout and retries for the lines that give none. */
  defaults?: TaskDefaults
}

export interface BatchPlan {
  tasks: TaskSpec[]
  inputs: Map<string, ResolvedInput[]>
  /** One line per word that named a path outside the submit folder (`task-7: ../x is outside …`). */
  warnings: string[]
}

/** Parses, checks and resolves a batch; throws a TaskFileError (every bad line) or a UserError. */
export async function planBatch(options: PlanOptions): Promise<BatchPlan> {
  const cwd = path.resolve(options.cwd ?? process.cwd())
  const source = options.source ?? 'tasks'
  const auto = options.autoInputs ?? true
  // Tasks given as objects get the same value and graph checks (names, env, duplicates, cycles) as parsed ones.
  let tasks =
    typeof options.tasks === 'string'
      ? await parsed(options.tasks, cwd, source, options.defaults ?? {}, auto)
      : (checkTaskSpecs(options.tasks, source), topoOrder(options.tasks, source), options.tasks)
  let warnings: string[] = []
  if (auto) {
    const detected = await detectInputs(tasks, cwd)
    tasks = detected.tasks
    warnings = detected.outside.map(outsideMessage)
  }
  const inputs = await resolveEarlyInputs(tasks, cwd, source)
  return { tasks, inputs, warnings }
}

/**
 * Resolves the inputs of the tasks that come after none: those of a task with `after` may name files
 * its dependencies will produce, so they are resolved when it becomes ready (late-inputs.ts); only
 * their spelling is checked now.
 */
async function resolveEarlyInputs(tasks: TaskSpec[], cwd: string, source: string): Promise<Map<string, ResolvedInput[]>> {
  const late = tasks.filter((t) => t.after.length > 0)
  const problems: TaskProblem[] = late.flatMap((t) =>
    t.inputs.flatMap((entry) => {
      const problem = patternProblem(entry)
      return problem ? [{ line: t.line, message: `${t.name}: input ${JSON.stringify(entry)} ${problem}` }] : []
    }),
  )
  const early = resolveAllInputs(
    tasks.filter((t) => t.after.length === 0),
    cwd,
    source,
  )
  if (problems.length === 0) return early
  const more = await early.then(
    () => [],
    (error: unknown) => {
      if (error instanceof TaskFileError) return error.problems
      throw error
    },
  )
  throw new TaskFileError(source, [...more, ...problems])
}

// A task file with bad lines is reported whole: with them, the missing inputs of the lines that parsed,
// so one round of fixes is enough.
async function parsed(text: string, cwd: string, source: string, defaults: TaskDefaults, auto: boolean): Promise<TaskSpec[]> {
  try {
    return parseTasks(text, source, defaults)
  } catch (error) {
    if (!(error instanceof TaskFileError)) throw error
    const good = auto ? (await detectInputs([...error.parsed], cwd)).tasks : [...error.parsed]
    const inputs = await resolveEarlyInputs(good, cwd, source).then(
      () => [],
      (more: unknown) => (more instanceof TaskFileError ? more.problems : []),
    )
    throw inputs.length === 0 ? error : new TaskFileError(source, [...error.problems, ...inputs])
  }
}
