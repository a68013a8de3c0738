// Whether a node can serve a task, judged from what the node told about itself. Returns the first
// unmet requirement in words (for the "no node can run this" message), or undefined when it fits.
import type { NodeInfo } from '../protocol/index.js'
import type { TaskSpec } from '../tasks/index.js'

export function unmetRequirement(task: TaskSpec, node: NodeInfo): string | undefined {
  const r = task.requires
  if (r.os !== undefined && r.os !== node.os) return `os is ${node.os}, task needs ${r.os}`
  if (r.arch !== undefined && r.arch !== node.arch) return `arch is ${node.arch}, task needs ${r.arch}`
  const missingTags = (r.tags ?? []).filter((tag: string) => !node.tags.includes(tag))
  if (missingTags.length > 0) return `lacks tag(s) ${missingTags.join(', ')}`
  if (r.nodes && r.nodes.length > 0 && !r.nodes.includes(node.name) && !r.nodes.includes(node.id))
    return `not among nodes ${r.nodes.join(', ')}`
  if (r.avoid?.includes(node.name) || r.avoid?.includes(node.id)) return 'listed in avoid'
  if (task.slots > node.slots) return `has ${node.slots} slot(s), task needs ${task.slots}`
  return undefined
}
