// Whether a node can serve a task, judged from what the node told about itself and from its answers to
// a probe (tools on PATH, env entries). Returns the first unmet requirement in words (for the "no node
// can run this" message, one reason per node), or undefined when it fits. And the probe itself.
import type { NodeInfo } from '../protocol/index.js'
import type { TaskSpec } from '../tasks/index.js'
import type { TaskNode } from './task-node.js'

/** A node's probe answers: tool name or env entry → present. */
export interface ProbeAnswers {
  tools: Map<string, boolean>
  env: Map<string, boolean>
}

const NONE: readonly string[] = []

export function unmetRequirement(task: TaskSpec, node: NodeInfo, probed?: ProbeAnswers): string | undefined {
  const r = task.requires
  if (r.os !== undefined && r.os !== node.os) return `os is ${node.os}, task needs ${r.os}`
  if (r.arch !== undefined && r.arch !== node.arch) return `arch is ${node.arch}, task needs ${r.arch}`
  // Each list is looked at only when the task has one (this runs for every task and node a placement weighs).
  const missingTags = r.tags?.length ? r.tags.filter((tag: string) => !node.tags.includes(tag)) : NONE
  if (missingTags.length > 0) return `lacks tag(s) ${missingTags.join(', ')}`
  if (r.nodes && r.nodes.length > 0 && !r.nodes.includes(node.name) && !r.nodes.includes(node.id))
    return `not among nodes ${r.nodes.join(', ')}`
  if (r.avoid?.includes(node.name) || r.avoid?.includes(node.id)) return 'listed in avoid'
  if (task.slots > node.slots) return `has ${node.slots} slot(s), task needs ${task.slots}`
  if (r.memory !== undefined && node.memory !== undefined && node.memory < r.memory)
    return `has ${gib(node.memory)} memory, task needs ${gib(r.memory)}`
  if (r.cpus !== undefined && node.cpus !== undefined && node.cpus < r.cpus) return `has ${node.cpus} cpu(s), task needs ${r.cpus}`
  if (probed) {
    const tools = r.tools?.length ? r.tools.filter((t) => probed.tools.get(t) !== true) : NONE
    if (tools.length > 0) return `lacks tool(s) on PATH: ${tools.join(', ')}`
    const env = r.env?.length ? r.env.filter((e) => probed.env.get(e) !== true) : NONE
    if (env.length > 0) return `env lacks ${env.join(', ')}`
  }
  return undefined
}

/** Tools and env entries that must be probed on each node before `tasks` can be matched. */
export function probeQuestions(tasks: readonly TaskSpec[]): { tools: string[]; env: string[] } {
  const tools = new Set<string>()
  const env = new Set<string>()
  for (const task of tasks) {
    for (const t of task.requires.tools ?? []) tools.add(t)
    for (const e of task.requires.env ?? []) env.add(e)
  }
  return { tools: [...tools], env: [...env] }
}

function gib(bytes: number): string {
  return `${(bytes / 1024 ** 3).toFixed(1)} GiB`
}

const PROBE_BATCH = 256

/** Asks `node` every question the batch has (256 a message); a node lost meanwhile answers no to the rest. */
export async function probeAnswers(node: TaskNode, questions: { tools: string[]; env: string[] }): Promise<ProbeAnswers> {
  const answers: ProbeAnswers = { tools: new Map(), env: new Map() }
  const { tools, env } = questions
  try {
    for (let i = 0; i < Math.max(tools.length, env.length); i += PROBE_BATCH) {
      const t = tools.slice(i, i + PROBE_BATCH)
      const e = env.slice(i, i + PROBE_BATCH)
      const reply = await node.probe(t, e)
      t.forEach((name, k) => answers.tools.set(name, reply.tools[k] === true))
      e.forEach((entry, k) => answers.env.set(entry, reply.env[k] === true))
    }
  } catch {
    // A node lost while probing is handled by its onLost.
  }
  return answers
}
