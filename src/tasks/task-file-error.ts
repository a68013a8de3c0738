// The one error a task file produces: every problem found, each on its own `source:line:` line.
import { UserError } from '../errors.js'
import type { TaskSpec } from './spec.js'

export interface TaskProblem {
  line: number
  message: string
}

export const MAX_LISTED_PROBLEMS = 20

const DEFAULT_HINT = 'Fix the lines listed above and submit again; no task was started.'

export class TaskFileError extends UserError {
  /** Sorted by line; within a line, in the order found. */
  readonly problems: TaskProblem[]

  constructor(
    readonly source: string,
    problems: readonly TaskProblem[],
    hint: string = DEFAULT_HINT,
    /** The lines that did parse, as tasks: their inputs can still be checked, to report everything at once. */
    readonly parsed: readonly TaskSpec[] = [],
  ) {
    const sorted = [...problems].sort((a, b) => a.line - b.line) // Array#sort is stable
    super(formatProblems(source, sorted), hint)
    this.name = 'TaskFileError'
    this.problems = sorted
  }
}

function formatProblems(source: string, problems: readonly TaskProblem[]): string {
  const lines = problems.slice(0, MAX_LISTED_PROBLEMS).map((p) => `${source}:${p.line}: ${p.message}`)
  const rest = problems.length - MAX_LISTED_PROBLEMS
  if (rest > 0) lines.push(`…and ${rest} more`)
  return lines.join('\n')
}
