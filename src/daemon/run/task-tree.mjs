// @ts-check
// Acts on a task's whole process tree (task-tree.ts picks the method): its cgroup, or the processes
// whose environment carries its marker. Plain JavaScript so the spawn helper, which Node runs as it
// is, shares it with the daemon. Synchronous on purpose: it also runs in exit handlers.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'

/**
 * `parent`: the node's cgroup, in which the spawn helper makes the task's own (`cgroup`, set by the
 * helper, which names it); without one, the marker is how the task's processes are found. `killed`: its
 * `cgroup.kill` was written (set by signalTree).
 * @typedef {{ parent?: string, cgroup?: string, limits?: Record<string, string>, marker: string, killed?: boolean }} Tree
 */

export const MARKER = 'DISTW_TASK_TREE'

/** The cgroup v2 folder this process is in, or undefined (no v2 hierarchy, not Linux). */
export function ownCgroup() {
  try {
    // mountinfo: field 5 is the mount point; after " - " come the type and source.
    const mount = readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .map((line) => line.split(' '))
      .find((fields) => fields[fields.indexOf('-') + 1] === 'cgroup2')?.[4]
    const own = readFileSync('/proc/self/cgroup', 'utf8')
      .split('\n')
      .find((line) => line.startsWith('0::'))
      ?.slice(3)
    return mount === undefined || own === undefined ? undefined : path.join(mount, own)
  } catch {
    return undefined
  }
}

/** @type {string | undefined | null} */
let home = null
// The cgroup this process returns to after starting a task in another (null: not looked up yet).
function homeCgroup() {
  if (home === null) home = ownCgroup()
  return home
}

/** Whether this process is in a cgroup v2, where a task's cgroup can be made and joined. */
export function inCgroupV2() {
  return homeCgroup() !== undefined
}

/**
 * Runs `start` (which forks the task) with this process inside a new cgroup for the task (under
 * `tree.parent`, named by `name`), so the task is in it before it can fork anything: a process moved
 * in later would leave its children outside. Each move blocks this process for an RCU grace period
 * (held-start.mjs says why tasks normally start without this).
 * @template T
 * @param {Tree} tree
 * @param {() => string} name
 * @param {() => T} start
 * @returns {T}
 */
export function startInTree(tree, name, start) {
  const back = tree.parent === undefined ? undefined : homeCgroup()
  if (tree.parent === undefined || back === undefined) {
    delete tree.parent // this process is in no cgroup v2: the marker it is
    return start()
  }
  tree.cgroup = makeTaskCgroup(tree.parent, tree.limits ?? {}, name)
  writeFileSync(path.join(tree.cgroup, 'cgroup.procs'), String(process.pid))
  try {
    return start()
  } finally {
    writeFileSync(path.join(back, 'cgroup.procs'), String(process.pid))
  }
}

/**
 * Makes a task's cgroup under `parent` with a name not in use (a helper started again after one
 * that died may find the old one's) and writes its limits.
 * @param {string} parent
 * @param {Record<string, string>} limits
 * @param {() => string} name
 * @returns {string}
 */
export function makeTaskCgroup(parent, limits, name) {
  for (;;) {
    const cgroup = path.join(parent, name())
    try {
      mkdirSync(cgroup)
    } catch (error) {
      if (/** @type {NodeJS.ErrnoException} */ (error).code === 'EEXIST') continue
      throw error
    }
    try {
      for (const [file, value] of Object.entries(limits)) writeFileSync(path.join(cgroup, file), value)
    } catch (error) {
      removeCgroup(cgroup)
      throw error
    }
    return cgroup
  }
}

/** @param {string} cgroup a task's, once its processes are gone */
export function removeCgroup(cgroup) {
  try {
    rmdirSync(cgroup)
  } catch {
    // A process still in it past the wait for it, or already gone: the node's cgroup removal retries.
  }
}

/**
 * Kills every process in a cgroup and those under it (a node's, when its spawn helper is lost).
 * @param {string} cgroup
 */
export function killCgroup(cgroup) {
  try {
    writeFileSync(path.join(cgroup, 'cgroup.kill'), '1')
  } catch {
    // gone
  }
}

/**
 * The pids of the tree's live processes.
 * @param {Tree} tree
 * @returns {number[]}
 */
export function treePids(tree) {
  if (tree.cgroup !== undefined) {
    try {
      return readFileSync(path.join(tree.cgroup, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number)
    } catch {
      return []
    }
  }
  const needle = Buffer.from(`${MARKER}=${tree.marker}\0`)
  /** @type {number[]} */
  const found = []
  let entries
  try {
    entries = readdirSync('/proc')
  } catch {
    return found // no /proc (not Linux): the process group is all there is
  }
  for (const entry of entries) {
    const pid = Number(entry)
    if (!Number.isInteger(pid) || pid === process.pid) continue
    try {
      // A zombie's environ reads empty: only live processes match.
      const environ = readFileSync(`/proc/${pid}/environ`)
      if (environ.subarray(0, needle.length).equals(needle) || environ.includes(Buffer.concat([Buffer.from([0]), needle]))) found.push(pid)
    } catch {
      // gone, or not ours to read
    }
  }
  return found
}

/**
 * Signals every process of the tree (SIGKILL through cgroup.kill where there is a cgroup).
 * @param {Tree} tree
 * @param {NodeJS.Signals} signal
 */
export function signalTree(tree, signal) {
  if (tree.cgroup !== undefined && signal === 'SIGKILL') {
    try {
      writeFileSync(path.join(tree.cgroup, 'cgroup.kill'), '1')
      tree.killed = true
      return
    } catch {
      // not made yet, or gone: fall through to the pids
    }
  }
  const stackTraceLimit = Error.stackTraceLimit
  Error.stackTraceLimit = 0
  for (const pid of treePids(tree)) {
    try {
      process.kill(pid, signal)
    } catch {
      // already gone
    }
  }
  Error.stackTraceLimit = stackTraceLimit
}

/**
 * Removes a cgroup folder and the task cgroups under it, once: a cgroup with a process in it cannot
 * be removed, so the caller retries while killed processes finish exiting.
 * @param {string} dir
 * @returns {boolean} gone
 */
export function tryRemoveCgroup(dir) {
  try {
    writeFileSync(path.join(dir, 'cgroup.kill'), '1')
    // A task cgroup may vanish meanwhile: the spawn helper removes a held shell's when it dies.
    for (const child of readdirSync(dir, { withFileTypes: true })) if (child.isDirectory()) removeCgroup(path.join(dir, child.name))
    rmdirSync(dir)
    return true
  } catch {
    // Only the folder itself being gone is done (a child's ENOENT once counted, leaving it behind).
    return !existsSync(dir)
  }
}

/**
 * tryRemoveCgroup, retried for up to a second. Synchronous: for exit handlers.
 * @param {string} dir
 */
export function removeCgroupNow(dir) {
  const pause = new Int32Array(new SharedArrayBuffer(4))
  for (let attempt = 0; attempt < 50 && !tryRemoveCgroup(dir); attempt++) Atomics.wait(pause, 0, 0, 20)
}
