// `--dry-run`: each task of the plan with the files it would send, one line a task. The inputs follow
// a `#`, so that `distw run --dry-run --no-tag … | sh` runs the commands here.
import type { BatchPlan } from '../submit/plan.js'
import { shellQuote } from '../tasks/shell-quote.js'
import type { ResolvedInput, TaskSpec } from '../tasks/index.js'

const SHOWN_INPUTS = 8

export function dryRunText(plan: BatchPlan, options: { json: boolean; tag: boolean }): string {
  return plan.tasks.map((task) => dryRunLine(task, plan.inputs.get(task.name) ?? [], options)).join('')
}

/** One task's line of the plan (a stream prints them as they come). */
export function dryRunLine(task: TaskSpec, files: readonly ResolvedInput[], options: { json: boolean; tag: boolean }): string {
  const inputs = files.map((i) => i.path)
  if (options.json)
    return `${JSON.stringify({ event: 'task-planned', task: task.name, line: task.line, command: commandText(task), inputs })}\n`
  const more = inputs.length > SHOWN_INPUTS ? ` and ${inputs.length - SHOWN_INPUTS} more` : ''
  const sends = inputs.length === 0 ? '' : `  # inputs: ${inputs.slice(0, SHOWN_INPUTS).map(shellQuote).join(' ')}${more}`
  return `${options.tag ? `[${task.name}] ` : ''}${commandText(task)}${sends}\n`
}

/** The command as a shell line: a shell task's own text, an argv quoted word by word. */
export function commandText(task: TaskSpec): string {
  return 'shell' in task.command ? task.command.shell : task.command.argv.map(shellQuote).join(' ')
}
