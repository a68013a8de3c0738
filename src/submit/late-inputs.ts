// The inputs of a task that comes after others, resolved when its dependencies have succeeded: they may
// name files those produced. Each is looked for in the folders the dependencies' returned files were
// written to (with --out DIR: DIR/<dependency>/), then in the submit folder (without --out, the same).
import path from 'node:path'
import { detectInputs } from '../tasks/auto-inputs.js'
import { resolveAgainst, type ResolvedInput, type TaskSpec } from '../tasks/index.js'
import type { TaskResult } from './result.js'
import type { ScheduleOptions } from './schedule-options.js'
import type { TaskRecord } from './task-record.js'

/** At most this many returned files are named in the reason a task's input was not found. */
const LISTED_FILES = 5

/**
 * The folders a dependent's inputs are looked for in, first match wins: each dependency's own folder
 * when returned files go to `dest/<task name>/` (--out), then the submit folder.
 */
export function lateFolders(task: TaskSpec, submitDir: string, dest: string, perTaskFolders: boolean): string[] {
  return perTaskFolders ? [...task.after.map((name) => path.join(dest, name)), submitDir] : [submitDir]
}

/**
 * Resolves `task`'s inputs now that `deps` (its `after` tasks) succeeded: its files, or why it cannot
 * run (`input "a.txt" not found after A succeeded; A returned a.TXT`).
 */
export async function resolveLate(
  task: TaskSpec,
  deps: readonly TaskResult[],
  folders: readonly string[],
): Promise<{ files: ResolvedInput[] } | { reason: string }> {
  const entries = [...task.inputs]
  // A plain line's words name files that may exist only now: they are looked for again, in every folder.
  if (task.autoInputs)
    for (const folder of folders) {
      const [detected] = (await detectInputs([{ ...task, inputs: [] }], folder).catch(() => ({ tasks: [] }))).tasks
      for (const entry of detected?.inputs ?? []) if (!entries.includes(entry)) entries.push(entry)
    }
  if (entries.length === 0) return { files: [] }
  let resolved: Awaited<ReturnType<typeof resolveAgainst>>
  try {
    resolved = await resolveAgainst(entries, folders)
  } catch (error) {
    return { reason: (error as Error).message }
  }
  if (resolved.problems.length === 0) return { files: resolved.files }
  return {
    reason: `${resolved.problems.join('; ')} after ${deps.map((d) => d.name).join(', ')} succeeded; ${deps.map(returned).join('; ')}`,
  }
}

function returned(dep: TaskResult): string {
  const { files } = dep
  if (files.length === 0) return `${dep.name} returned no file`
  const more = files.length > LISTED_FILES ? ` and ${files.length - LISTED_FILES} more` : ''
  return `${dep.name} returned ${files.slice(0, LISTED_FILES).join(', ')}${more}`
}

/** How a dependent's inputs turned out: it cannot run (`reason`), or it may, unless `done` (--resume). */
export type LateVerdict = { reason: string } | { done: boolean }

/**
 * The batch's tasks with `after`, from the inputs' side: when a task succeeds, each dependent whose
 * dependencies have all succeeded has its inputs resolved (they join `plan.inputs`).
 */
export class LateInputs {
  private readonly dependents = new Map<string, TaskRecord[]>()
  /** Tasks whose inputs are being resolved: the batch is busy with them, not waiting for a node. */
  resolving = 0

  constructor(
    records: Iterable<TaskRecord>,
    private readonly plan: Pick<ScheduleOptions, 'inputs' | 'dest' | 'perTaskFolders' | 'cwd' | 'lateResolved'>,
    private readonly result: (name: string) => TaskResult | undefined,
  ) {
    for (const record of records)
      for (const name of record.spec.after) this.dependents.set(name, [...(this.dependents.get(name) ?? []), record])
  }

  /**
   * `name` succeeded: `settled` gets the verdict of each dependent that is ready now, once resolved.
   * Returns those dependents.
   */
  succeeded(name: string, settled: (record: TaskRecord, verdict: LateVerdict) => void): TaskRecord[] {
    const ready = (this.dependents.get(name) ?? []).filter(
      (d) => d.lateInputs === 'pending' && d.spec.after.every((n) => this.result(n)?.status === 'succeeded'),
    )
    for (const dependent of ready) void this.resolve(dependent).then((verdict) => settled(dependent, verdict))
    return ready
  }

  private async resolve(record: TaskRecord): Promise<LateVerdict> {
    record.lateInputs = 'resolving'
    this.resolving++
    const { spec } = record
    const { dest, perTaskFolders } = this.plan
    const deps = spec.after.map((name) => this.result(name) as TaskResult)
    const late = await resolveLate(spec, deps, lateFolders(spec, this.plan.cwd ?? dest, dest, perTaskFolders))
    let verdict: LateVerdict = 'reason' in late ? late : { done: false }
    if ('files' in late) {
      this.plan.inputs.set(spec.name, late.files)
      verdict = { done: (await this.plan.lateResolved?.(spec, late.files).catch(() => false)) ?? false }
    }
    record.lateInputs = undefined
    this.resolving--
    return verdict
  }
}
