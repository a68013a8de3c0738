// A task's `inputs` entries → the regular files they name, checked against the submit folder: nothing
// outside it (absolute paths, `..`, symlinks leading out) and nothing that is not a regular file. The
// resolving itself is input-resolver.ts's; here, its entry points and how their problems are reported.
import { UserError } from '../errors.js'
import { CONCURRENCY, forEachLimit, Resolver, type EntryResult, type ResolvedInput } from './input-resolver.js'
import type { TaskSpec } from './spec.js'
import { TaskFileError, type TaskProblem } from './task-file-error.js'

export type { EntryResult, ResolvedInput } from './input-resolver.js'
export { MAX_FILES_PER_INPUT } from './input-resolver.js'

const HINT =
  'Inputs are files, folders or globs relative to the folder you submit from; symlinks may only point ' +
  'inside it, and FIFOs, sockets and devices cannot be sent.'

/** Resolves one task's inputs; throws a UserError listing every input that is missing or refused. */
export async function resolveInputs(task: TaskSpec, baseDir: string): Promise<ResolvedInput[]> {
  const resolver = await Resolver.open(baseDir)
  const { files, problems } = await resolver.task(task)
  if (problems.length > 0) {
    throw new UserError(problems.map((p) => `${task.name} (line ${task.line}): ${p}`).join('\n'), HINT)
  }
  return files
}

/**
 * Resolves the inputs of every task (keyed by task name), sharing the work between tasks that name the
 * same inputs. Throws one TaskFileError listing every problem of every task.
 */
export async function resolveAllInputs(tasks: TaskSpec[], baseDir: string, source: string): Promise<Map<string, ResolvedInput[]>> {
  const results = await resolveEach(tasks, baseDir)
  const byName = new Map<string, ResolvedInput[]>()
  const problems: TaskProblem[] = []
  tasks.forEach((task, i) => {
    const r = results[i]
    if (!r) return
    byName.set(task.name, r.files)
    for (const p of r.problems) problems.push({ line: task.line, message: `${task.name}: ${p}` })
  })
  if (problems.length > 0) throw new TaskFileError(source, problems, HINT)
  return byName
}

/** Each task's inputs and problems, in the order of `tasks` (a stream judges its lines one by one). */
export async function resolveEach(tasks: readonly TaskSpec[], baseDir: string): Promise<EntryResult[]> {
  const resolver = await Resolver.open(baseDir)
  const results = new Array<EntryResult>(tasks.length)
  await forEachLimit(tasks, CONCURRENCY, async (task, i) => {
    results[i] = await resolver.task(task)
  })
  return results
}

/**
 * Resolves `entries` (a task's inputs, when its dependencies have run), each against the first of
 * `baseDirs` where it names something: a dependency's `--out` folder, then the submit folder. Paths
 * are relative to the folder each was found in. Returns the problems (of the last folder) of entries
 * found nowhere.
 */
export async function resolveAgainst(entries: readonly string[], baseDirs: readonly string[]): Promise<EntryResult> {
  const resolvers = await Promise.all(baseDirs.map((dir) => Resolver.open(dir).catch(() => undefined)))
  const byPath = new Map<string, ResolvedInput>()
  const problems: string[] = []
  for (const entry of entries) {
    let last: string[] = [`input ${JSON.stringify(entry)} not found`]
    for (const resolver of resolvers) {
      const r = await resolver?.task({ inputs: [entry] })
      if (!r) continue
      last = r.problems
      if (r.problems.length > 0) continue
      for (const f of r.files) if (!byPath.has(f.path)) byPath.set(f.path, f)
      break
    }
    if (last.length > 0) problems.push(...last)
  }
  const files = [...byPath.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
  return { files, problems }
}
