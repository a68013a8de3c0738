// `--dry-run` of a stream: each task is planned (parsed, checked, its files found and its inputs
// resolved) and handed to `out` as its line arrives, as a real run would queue it; nothing connects.
// Only the tasks with `after` are kept, to name the ones still unknown, or in a cycle, at the end.
import path from 'node:path'
import type { ResolvedInput, TaskSpec } from '../tasks/index.js'
import { feed, type IntakeTarget, type QueuedTask, type TaskStream } from './intake.js'
import { NameBook } from './name-book.js'
import type { PlanOptions } from './plan.js'
import type { LineProblem } from './result.js'
import { danglingAfter } from './stream-end.js'

export interface PlannedStream {
  task(task: TaskSpec, inputs: readonly ResolvedInput[]): void
  rejected(problem: LineProblem): void
  warning(message: string): void
}

/** Plans every task of `tasks` as it comes; resolves to the number of bad lines. */
export async function planStream(options: Omit<PlanOptions, 'tasks'> & { tasks: TaskStream }, out: PlannedStream): Promise<number> {
  const source = options.source ?? 'tasks'
  const dependents: { spec: TaskSpec }[] = []
  let rejected = 0
  const target: IntakeTarget = {
    names: new NameBook(),
    accepting: true,
    add(tasks: readonly QueuedTask[]) {
      for (const { task, inputs } of tasks) {
        if (task.after.length > 0) dependents.push({ spec: task })
        out.task(task, inputs ?? [])
      }
    },
    reject(line, name, message) {
      if (name !== undefined && target.names.get(name) === undefined) target.names.set(name, line, 'rejected')
      rejected++
      out.rejected({ source, line, message })
    },
    roomForMore: () => Promise.resolve(),
    endInput() {
      for (const { record, message } of danglingAfter(dependents, (name) => target.names.get(name)))
        target.reject(record.spec.line, undefined, message)
    },
  }
  await feed(options.tasks, target, {
    cwd: path.resolve(options.cwd ?? process.cwd()),
    source,
    autoInputs: options.autoInputs ?? true,
    defaults: options.defaults ?? {},
    warn: (message) => out.warning(message),
  })
  return rejected
}
