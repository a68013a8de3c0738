// `-k/--keep-order`: output in the order of the task lines (GNU Parallel's -k). A task's output and
// end are held until every task before it has ended; the rest of the events pass at once. The order is
// the planned batch's, or a stream's (its tasks are queued as their lines are read, in line order);
// the names of tasks already written are dropped, so a long stream holds only what is not out yet.
import type { SubmitObserver, TaskResult } from '../submit/result.js'
import type { TaskSpec } from '../tasks/index.js'

type Held = { output: [TaskSpec, 'stdout' | 'stderr', Buffer][]; result?: TaskResult }

export function keepOrder<T extends SubmitObserver>(inner: T): T {
  let order: string[] = []
  let next = 0
  let planned = false
  const held = new Map<string, Held>()
  const hold = (name: string): Held => {
    let h = held.get(name)
    if (h === undefined) held.set(name, (h = { output: [] }))
    return h
  }
  const atHead = (name: string) => order[next] === name
  // Writes out the head task while it has ended, then the next one: as far as ended tasks reach.
  const release = async (): Promise<void> => {
    for (let name = order[next]; name !== undefined; name = order[next]) {
      const h = held.get(name)
      if (h === undefined) return
      for (const [task, stream, data] of h.output.splice(0)) await inner.taskOutput?.(task, stream, data)
      if (h.result === undefined) return
      held.delete(name)
      next++
      if (next >= 1024) {
        order = order.slice(next)
        next = 0
      }
      inner.taskFinished?.(h.result)
    }
  }
  let releasing = Promise.resolve()
  const later = () => (releasing = releasing.then(release))
  return {
    ...inner,
    batchPlanned: (total, tasks) => {
      planned = true
      order = [...tasks].sort((a, b) => a.line - b.line).map((t) => t.name)
      inner.batchPlanned?.(total, tasks)
    },
    taskQueued: (task) => {
      if (!planned) order.push(task.name)
      inner.taskQueued?.(task)
    },
    taskOutput: (task, stream, data) => {
      hold(task.name).output.push([task, stream, data])
      if (atHead(task.name)) return later()
    },
    taskFinished: (result) => {
      hold(result.name).result = result
      if (atHead(result.name)) void later()
    },
  }
}
