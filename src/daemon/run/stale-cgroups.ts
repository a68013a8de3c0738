// A daemon killed together with its spawn helper (SIGKILL to their process group, the OOM killer) leaves
// its node cgroup behind: the helper removes it when only the daemon dies, the daemon when only the
// helper does, but nobody is left when both are. So each node cgroup's name carries its daemon's pid,
// and a daemon starting under the same parent removes those whose daemon is gone (and kills what is
// still in them: tasks of a dead daemon that nobody will collect).
import { randomBytes } from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import { pidExists } from '../pid-exists.js'
import { tryRemoveCgroup } from './task-tree.mjs'

const NAME = /^distw-[^/]+-p(\d+)-[0-9a-f]{6}$/

/** The name of this daemon's node cgroup: its node id, its pid, and a random tail. */
export function nodeCgroupName(nodeId: string, pid = process.pid): string {
  return `distw-${nodeId.slice(0, 8)}-p${pid}-${randomBytes(3).toString('hex')}`
}

/**
 * Removes the node cgroups under `parent` whose daemon is no longer alive (a pid reused by another process
 * counts as alive: its cgroup stays, which is the safe mistake), retrying for up to 5 s while
 * the processes killed in them exit; resolves with those it could not remove.
 */
export async function removeStaleNodeCgroups(parent: string): Promise<string[]> {
  const entries = await fs.readdir(parent, { withFileTypes: true }).catch(() => [])
  let left = entries
    .filter((entry) => {
      const pid = NAME.exec(entry.name)?.[1]
      return entry.isDirectory() && pid !== undefined && !pidExists(Number(pid))
    })
    .map((entry) => path.join(parent, entry.name))
  for (let attempt = 0; attempt < 100 && left.length > 0; attempt++) {
    if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 50))
    left = left.filter((dir) => !tryRemoveCgroup(dir))
  }
  return left
}
