// @ts-check
// The spawn helper's supply of task cgroups under each node's cgroup: one a task, named by the helper,
// and an emptied one reused by a later task. Shared by the two ways a task starts already inside its
// cgroup (launcher.mjs, held-start.mjs).
import { makeTaskCgroup, removeCgroup } from './task-tree.mjs'

/** Emptied cgroups kept per node cgroup at most. */
const MOST_FREE = 16

export class TaskCgroups {
  /** @type {Map<string, { free: string[], limits: Record<string, string> }>} */
  nodes = new Map()
  seq = 0

  /**
   * A cgroup under `parent` for one task: an emptied one, or a new one with `limits` written. Throws
   * when it cannot be made (the node's cgroup is gone).
   * @param {string} parent
   * @param {Record<string, string>} limits
   * @returns {string}
   */
  take(parent, limits) {
    let node = this.nodes.get(parent)
    if (!node) {
      node = { free: [], limits }
      this.nodes.set(parent, node)
    }
    return node.free.pop() ?? makeTaskCgroup(parent, node.limits, () => `h${process.pid.toString(36)}-${++this.seq}`)
  }

  /**
   * A task under `parent` ended, and `cgroup` (its own) is empty: kept for another, as making and
   * removing one costs this process ~0.06 ms of CPU (measured, no controllers enabled), more with them.
   * Not under caps: memory a task leaves charged to its cgroup (tmpfs files) would count against the next.
   * Not once killed: Linux ≥ 6.14 kills a child cloned into a cgroup whose `cgroup.kill` count differs
   * from its parent's cgroup's (launcher.mjs).
   * @param {string} parent
   * @param {string} cgroup
   * @param {boolean} [killed] its cgroup.kill was written
   */
  ended(parent, cgroup, killed = false) {
    const node = this.nodes.get(parent)
    if (node && !killed && Object.keys(node.limits).length === 0 && node.free.length < MOST_FREE) node.free.push(cgroup)
    else removeCgroup(cgroup)
  }

  /** Forgets the emptied cgroups under `parent` (its node closed), or all of them (this process is ending). */
  drop(/** @type {string | undefined} */ parent) {
    for (const [dir, node] of this.nodes) {
      if (parent !== undefined && dir !== parent) continue
      this.nodes.delete(dir)
      for (const cgroup of node.free) removeCgroup(cgroup)
    }
  }
}
