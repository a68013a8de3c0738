// The inputs of a task that comes after others, resolved when its dependencies have succeeded: they may
// name files those produced. Each is looked for in the folders the dependencies' returned files were
// written to (with --out DIR: DIR/<dependency>/), then in the submit folder (without --out, the same).
import path from 'node:path'
import { detectInputs } from '../tasks/auto-inputs.js'
import { resolveAgainst, type ResolvedInput, type TaskSpec } from '../tasks/index.js'
import type { TaskResult } from './result.js'
import type { ScheduleOptions } from './schedule-options.js'
import type { NameState } from './name-book.js'
import type { TaskRecord } from './task-record.js'
import type { QueueSource } from './queue-report.js'

/** At most this many returned files are named in the reason a task's input was not found. */
const LISTED_FILES = 5

/**
 * The folders a dependent's inputs are looked for in, first match wins: each dependency's own folder
 * when returned files go to `dest/<task name>/` (--out), then the submit folder.
 */
export function lateFolders(task: TaskSpec, submitDir: string, dest: string, perTaskFolders: boolean): string[] {
  return perTaskFolders ? [...task.after.map((name) => path.join(dest, name)), submitDir] : [submitDir]
}

/** What a dependency returned, as far as the messages need: a few names and how many more. */
export interface Returned {
  name: string
  files: readonly string[]
  more: number
}

/** The part of a result a dependent's messages use: the first files it returned. */
export function returnedOf(result: Pick<TaskResult, 'name' | 'files'>): Returned {
  return { name: result.name, files: result.files.slice(0, LISTED_FILES), more: Math.max(0, result.files.length - LISTED_FILES) }
}

/**
 * Resolves `task`'s inputs now that its `after` tasks succeeded (`deps`: what those returned, for
 * those still known): its files, or why it cannot run (`input "a.txt" not found after A succeeded;
 * A returned a.TXT`).
 */
export async function resolveLate(
  task: TaskSpec,
  deps: readonly Returned[],
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
  const returned = deps.length > 0 ? `; ${deps.map(describe).join('; ')}` : ''
  return { reason: `${resolved.problems.join('; ')} after ${task.after.join(', ')} succeeded${returned}` }
}

function describe(dep: Returned): string {
  if (dep.files.length === 0) return `${dep.name} returned no file`
  const more = dep.more > 0 ? ` and ${dep.more} more` : ''
  return `${dep.name} returned ${dep.files.join(', ')}${more}`
}

/** How a dependent's inputs turned out: it cannot run (`reason`), or it may, unless `done` (--resume). */
export type LateVerdict = { reason: string } | { done: boolean }

/**
 * The batch's tasks with `after`, from the inputs' side: when a task succeeds, each dependent whose
 * dependencies have all succeeded has its inputs resolved (they join `plan.inputs`). Tasks join as
 * they are read (a stream); a dependent is forgotten once its inputs are resolved or it ends, and what
 * a dependency returned is kept only while a dependent known to wait for it is pending.
 */
export class LateInputs implements QueueSource {
  /** Pending dependents, by the name of each task they wait for. */
  private readonly dependents = new Map<string, Set<TaskRecord>>()
  /** What each succeeded task with pending dependents returned (for their messages). */
  private readonly returned = new Map<string, Returned>()
  /** Dependents whose inputs are not resolved yet: queued, but not startable whatever the nodes. */
  private readonly unresolved = new Set<TaskRecord>()
  /** Tasks whose inputs are being resolved: the batch is busy with them, not waiting for a node. */
  resolving = 0
  /** Moves when the blocked tasks, or what they wait for, changed (queue-report.ts reads it on a timer). */
  version = 0

  constructor(
    private readonly plan: Pick<ScheduleOptions, 'inputs' | 'dest' | 'perTaskFolders' | 'cwd' | 'lateResolved'>,
    private readonly state: (name: string) => NameState | undefined,
    private readonly settled: (record: TaskRecord, verdict: LateVerdict) => void,
  ) {}

  /** How many queued tasks wait for their dependencies. */
  get waitingCount(): number {
    return this.unresolved.size
  }

  /** The tasks waiting for their dependencies, each with those it still waits for (for the nodes' monitors). */
  *blocked(): Iterable<{ name: string; after: readonly string[] }> {
    for (const record of this.unresolved)
      yield { name: record.spec.name, after: record.spec.after.filter((n) => this.state(n) !== 'succeeded') }
  }

  /** Registers a task with `after` (no-op for others); resolves its inputs at once if its dependencies have succeeded. */
  add(record: TaskRecord): void {
    if (record.lateInputs !== 'pending') return
    this.unresolved.add(record)
    this.version++
    for (const name of record.spec.after) {
      let set = this.dependents.get(name)
      if (set === undefined) this.dependents.set(name, (set = new Set()))
      set.add(record)
    }
    this.readyNow(record)
  }

  /**
   * A task ended: its dependents may be ready (returned: those whose inputs are being resolved now); a
   * dependent that ended is forgotten.
   */
  finished(result: TaskResult, record: TaskRecord | undefined): TaskRecord[] {
    if (record && this.unresolved.has(record)) this.forget(record)
    const waiting = this.dependents.get(result.name)
    if (waiting === undefined) return []
    this.version++
    if (result.status !== 'succeeded') return [] // its dependents are skipped by placement, and forgotten then
    this.returned.set(result.name, returnedOf(result))
    return [...waiting].filter((dependent) => this.readyNow(dependent))
  }

  private readyNow(record: TaskRecord): boolean {
    if (record.lateInputs !== 'pending' || !record.spec.after.every((n) => this.state(n) === 'succeeded')) return false
    void this.resolve(record).then((verdict) => this.settled(record, verdict))
    return true
  }

  // Drops `record` from the books of the tasks it waited for; a finished task nobody waits for any more goes.
  private forget(record: TaskRecord): void {
    this.unresolved.delete(record)
    this.version++
    for (const name of record.spec.after) {
      const set = this.dependents.get(name)
      set?.delete(record)
      if (set?.size === 0) {
        this.dependents.delete(name)
        this.returned.delete(name)
      }
    }
  }

  private async resolve(record: TaskRecord): Promise<LateVerdict> {
    record.lateInputs = 'resolving'
    this.resolving++
    const { spec } = record
    const { dest, perTaskFolders } = this.plan
    const deps = spec.after.flatMap((name) => this.returned.get(name) ?? [])
    this.forget(record)
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
