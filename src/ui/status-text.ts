// `distw status` for people: one block per node, its running tasks indented below; then one block per
// batch that holds tasks back, its tasks waiting for their dependencies below.
import type { NodeSnapshot } from '../watch/snapshot.js'
import { batchesOf, type WaitingBatch } from '../watch/batches.js'
import { formatSize } from '../tasks/size.js'
import { formatDuration, waitingText } from './format.js'
import type { TaskTreeInfo } from '../protocol/index.js'

export function statusText(nodes: NodeSnapshot[], batches: WaitingBatch[] = batchesOf(nodes)): string {
  const lines: string[] = []
  for (const n of nodes) {
    if (!n.reachable) {
      lines.push(`${n.peer}  unreachable: ${n.error}`)
      continue
    }
    const s = n.state
    const tags = s.node.tags.length > 0 ? `  tags ${s.node.tags.join(',')}` : ''
    const state = s.pauseReason === undefined ? s.state : `${s.state} (${s.pauseReason})`
    const queued = s.queued ? ` (+${s.queued} queued)` : ''
    const cache = s.cache ? `  cache ${formatSize(s.cache.usedBytes)} of ${formatSize(s.cache.capBytes)}` : ''
    lines.push(
      `${s.node.name}  ${n.peer}  ${s.node.os}/${s.node.arch}  ${state}  slots ${s.slotsUsed}/${s.node.slots}${queued}  load ${s.load.toFixed(2)}  done ${s.succeeded} ok, ${s.failed} failed${cache}${treeText(s.tree)}${tags}`,
    )
    for (const t of s.running) {
      const progress = t.held
        ? `  waiting for approval: ${t.held.program} sha256 ${t.held.digest}`
        : t.percent === null
          ? ''
          : `  ${Math.round(t.percent)}%${t.text ? ` ${t.text}` : ''}`
      lines.push(`  ${t.name}  ${t.client}  ${formatDuration(t.elapsedMs)}${progress}`)
    }
  }
  for (const b of batches) lines.push(...batchLines(b))
  return `${lines.join('\n')}\n`
}

// A batch's tasks are on no node yet: said under the batch, with what each waits for.
function batchLines(b: WaitingBatch): string[] {
  const counts = [
    ...(b.waiting > 0 ? [`${b.waiting} waiting for dependencies`] : []),
    ...(b.ready > 0 ? [`${b.ready} ready to start`] : []),
  ]
  const lines = [`batch ${b.batch.slice(0, 8)} of ${b.client}  ${counts.join(', ')}  (told ${b.nodes.join(', ')})`]
  for (const t of b.tasks) lines.push(`  ${t.name}  ${b.client}  ${waitingText(t.after, t.more, '  ')}`)
  const unlisted = b.waiting - b.tasks.length
  if (unlisted > 0) lines.push(`  … and ${unlisted} more waiting`)
  return lines
}

// How the node kills a task's whole process tree, and the caps each task runs under.
function treeText(tree: TaskTreeInfo | undefined): string {
  if (!tree) return ''
  const caps = [
    ...(tree.memoryBytes === undefined ? [] : [`memory ${formatSize(tree.memoryBytes)}`]),
    ...(tree.cpus === undefined ? [] : [`${tree.cpus} cpus`]),
  ]
  return `  tree ${tree.method}${caps.length > 0 ? ` (${caps.join(', ')} a task)` : ''}`
}
