// What identifies a task across runs for --resume: its command, its inputs' paths, modes and contents,
// and its env — not its line number, so editing other lines of the file does not re-run it.
import { createHash } from 'node:crypto'
import type { ResolvedInput, TaskSpec } from '../tasks/index.js'
import type { HashCache } from '../transfer/hash.js'

export async function taskDigest(task: TaskSpec, inputs: readonly ResolvedInput[], hashes: HashCache): Promise<string> {
  const files = await Promise.all(inputs.map(async (i) => [i.path, i.mode & 0o777, await hashes.digest(i)] as const))
  files.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
  const env = Object.entries(task.env).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  return createHash('sha256')
    .update(JSON.stringify({ command: task.command, files, env }))
    .digest('hex')
}

/** Digests of every task in a batch, by task name. */
export async function taskDigests(
  tasks: readonly TaskSpec[],
  inputs: ReadonlyMap<string, ResolvedInput[]>,
  hashes: HashCache,
): Promise<Map<string, string>> {
  const out = new Map<string, string>()
  for (const task of tasks) out.set(task.name, await taskDigest(task, inputs.get(task.name) ?? [], hashes))
  return out
}
