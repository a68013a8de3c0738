// `-k/--keep-order`: output in the order of the task lines (GNU Parallel's -k). A task's output and
// end are held until every task before it has ended; the rest of the events pass at once.
import type { SubmitObserver, TaskResult } from '../submit/result.js'
import type { TaskSpec } from '../tasks/index.js'

type Held = { output: [TaskSpec, 'stdout' | 'stderr', Buffer][]; result?: TaskResult }

export function keepOrder<T extends SubmitObserver>(inner: T): T {
  let order: string[] = []
  let next = 0
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
      inner.taskFinished?.(h.result)
    }
  }
  let releasing = Promise.resolve()
  const later = () => (releasing = releasing.then(release))
  return {
    ...inner,
    batchPlanned: (total, tasks) => {
      order = [...tasks].sort((a, b) => a.line - b.line).map((t) => t.name)
      inner.batchPlanned?.(total, tasks)
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
