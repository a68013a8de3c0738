// `distw status` for people: one block per node, its running tasks indented below.
import type { NodeSnapshot } from '../watch/snapshot.js'
import { formatSize } from '../tasks/size.js'
import { formatDuration } from './format.js'
import type { TaskTreeInfo } from '../protocol/index.js'

export function statusText(nodes: NodeSnapshot[]): string {
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
  return `${lines.join('\n')}\n`
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
