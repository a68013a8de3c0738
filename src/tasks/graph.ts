// The `after` graph: names must be unique, every `after` must name a task, and there must be no cycle.
import { showName } from './names.js'
import type { TaskSpec } from './spec.js'
import { TaskFileError, type TaskProblem } from './task-file-error.js'

const MAX_CYCLE_SHOWN = 12

/**
 * Orders tasks so that every task comes after the tasks it names in `after`, otherwise keeping file
 * order. Throws a TaskFileError (lines from `source`) for duplicate names, unknown `after` names and cycles.
 */
export function topoOrder(tasks: TaskSpec[], source = 'tasks'): TaskSpec[] {
  const { order, problems } = analyseGraph(tasks)
  if (problems.length > 0) throw new TaskFileError(source, problems)
  return order
}

/**
 * The work behind topoOrder, returning problems instead of throwing so parseTasks can report them with
 * its own. `brokenNames` are names of lines that failed to parse: an `after` naming one is not reported
 * again, since the fix belongs to that line. parseTasks reports duplicate names itself, broken lines included.
 */
export function analyseGraph(
  tasks: readonly TaskSpec[],
  brokenNames: ReadonlySet<string> = new Set(),
  reportDuplicates = true,
): { order: TaskSpec[]; problems: TaskProblem[] } {
  const problems: TaskProblem[] = []
  if (!reportDuplicates && tasks.every((t) => t.after.length === 0)) return { order: [...tasks], problems }
  const indexOf = new Map<string, number>()
  let anyAfter = false
  tasks.forEach((t, i) => {
    const first = indexOf.get(t.name)
    if (first === undefined) indexOf.set(t.name, i)
    else if (reportDuplicates)
      problems.push({ line: t.line, message: `name ${JSON.stringify(t.name)} is already used by line ${tasks[first]?.line}` })
    if (t.after.length > 0) anyAfter = true
  })
  if (!anyAfter) return { order: [...tasks], problems }

  const deps: number[][] = tasks.map((t) => {
    const out: number[] = []
    for (const name of t.after) {
      const j = indexOf.get(name)
      if (j !== undefined) out.push(j)
      else if (!brokenNames.has(name)) {
        problems.push({ line: t.line, message: `"after" names ${JSON.stringify(name)}, but no task has that name` })
      }
    }
    return out
  })

  // Iterative depth-first search (a chain of 100,000 tasks must not overflow the call stack). A task is
  // emitted once everything it waits for has been; meeting a task still on the stack closes a cycle.
  const n = tasks.length
  const state = new Uint8Array(n) // 0 unvisited, 1 on the stack, 2 done
  const stackPos = new Int32Array(n).fill(-1)
  const stack: number[] = []
  const nextDep: number[] = []
  const order: TaskSpec[] = []
  const cyclesSeen = new Set<string>()
  const push = (v: number): void => {
    state[v] = 1
    stackPos[v] = stack.length
    stack.push(v)
    nextDep.push(0)
  }
  for (let root = 0; root < n; root++) {
    if (state[root] !== 0) continue
    push(root)
    while (stack.length > 0) {
      const top = stack.length - 1
      const v = stack[top] as number
      const k = nextDep[top] as number
      const vDeps = deps[v] as number[]
      if (k < vDeps.length) {
        nextDep[top] = k + 1
        const w = vDeps[k] as number
        if (state[w] === 0) push(w)
        else if (state[w] === 1) {
          const problem = cycleProblem(tasks, stack.slice(stackPos[w]), cyclesSeen)
          if (problem) problems.push(problem)
        }
      } else {
        stack.pop()
        nextDep.pop()
        state[v] = 2
        stackPos[v] = -1
        order.push(tasks[v] as TaskSpec)
      }
    }
  }
  return { order, problems }
}

// `members` each wait for the next, and the last waits for the first. Reported once, at its first line.
function cycleProblem(tasks: readonly TaskSpec[], members: number[], seen: Set<string>): TaskProblem | undefined {
  const key = [...members].sort((a, b) => a - b).join(',')
  if (seen.has(key)) return undefined
  seen.add(key)
  let start = 0
  members.forEach((m, i) => {
    if ((tasks[m]?.line ?? 0) < (tasks[members[start] as number]?.line ?? 0)) start = i
  })
  const ring = [...members.slice(start), ...members.slice(0, start)].map((m) => tasks[m] as TaskSpec)
  const shown = ring.slice(0, MAX_CYCLE_SHOWN)
  const path = [...shown, ring[0] as TaskSpec].map((t) => showName(t.name))
  if (ring.length > MAX_CYCLE_SHOWN) path.splice(MAX_CYCLE_SHOWN, 0, `…(${ring.length - MAX_CYCLE_SHOWN} more)`)
  const lines = shown.map((t) => t.line).join(', ') + (ring.length > MAX_CYCLE_SHOWN ? ', …' : '')
  return {
    line: ring[0]?.line ?? 0,
    message: `"after" makes a cycle: ${path.join(' -> ')} (line${ring.length > 1 ? 's' : ''} ${lines}); each waits for the next, so none can start`,
  }
}
