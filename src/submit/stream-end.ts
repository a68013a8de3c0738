// When a stream of task lines ends, what its `after` names can no longer become: a name no line had,
// or a cycle among tasks still waiting. Either fails the task (its dependents are then skipped).
import { analyseGraph } from '../tasks/index.js'
import type { TaskSpec } from '../tasks/index.js'
import type { NameState } from './name-book.js'

/** The tasks among `pending` (still waiting for their `after` tasks) that never can run, and why. */
export function danglingAfter<T extends { spec: TaskSpec }>(
  pending: readonly T[],
  state: (name: string) => NameState | undefined,
): { record: T; message: string }[] {
  const out: { record: T; message: string }[] = []
  const known: T[] = []
  for (const record of pending) {
    const unknown = record.spec.after.filter((name) => state(name) === undefined)
    if (unknown.length === 0) known.push(record)
    else
      out.push({
        record,
        message: `"after" names ${unknown.map((n) => JSON.stringify(n)).join(', ')}, but no task has ${unknown.length > 1 ? 'those names' : 'that name'}`,
      })
  }
  // The rest wait for known tasks; a cycle can only be among those that are still waiting themselves.
  const specs = known.map((r) => r.spec)
  const inside = new Set(specs.map((s) => s.name))
  const outside = new Set(specs.flatMap((s) => s.after.filter((name) => !inside.has(name))))
  const byLine = new Map(known.map((r) => [r.spec.line, r]))
  for (const problem of analyseGraph(specs, outside).problems) {
    const record = byLine.get(problem.line)
    if (record) out.push({ record, message: problem.message })
  }
  return out
}
