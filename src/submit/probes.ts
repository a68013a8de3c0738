// What the batch asks every node before its tasks can be matched (tools on PATH, env entries). A
// stream's task may ask something new: then every node is asked again, and its tasks wait meanwhile.
import type { TaskSpec } from '../tasks/index.js'
import type { NodeSlots } from './node-slots.js'
import { probeAnswers } from './requirements.js'

export class Probes {
  /** Replaced, never changed, when a task asks more: an answer to an older set is dropped. */
  private questions: { tools: string[]; env: string[] } = { tools: [], env: [] }

  constructor(private readonly answered: () => void) {}

  /** Adds what `task` asks; when that is new, each of `nodes` is asked again. */
  ask(task: TaskSpec, nodes: readonly NodeSlots[]): void {
    const { tools = [], env = [] } = task.requires
    const known = this.questions
    if (tools.every((t) => known.tools.includes(t)) && env.every((e) => known.env.includes(e))) return
    this.questions = { tools: [...new Set([...known.tools, ...tools])], env: [...new Set([...known.env, ...env])] }
    for (const node of nodes) {
      node.probed = undefined
      void this.probe(node)
    }
  }

  /** Asks `node` every question; its answers count unless more was asked meanwhile (that probe's do). */
  async probe(node: NodeSlots): Promise<void> {
    const asked = this.questions
    const answers = await probeAnswers(node.client, asked)
    if (asked !== this.questions) return
    node.probed = answers
    this.answered()
  }
}
