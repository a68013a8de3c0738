// @ts-check
// Acts on a task's whole process tree (task-tree.ts picks the method): its cgroup, or the processes
// whose environment carries its marker. Plain JavaScript so the spawn helper, which Node runs as it
// is, shares it with the daemon. Synchronous on purpose: it also runs in exit handlers.
import { mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'

/** @typedef {{ cgroup?: string, limits?: Record<string, string>, marker: string }} Tree */

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

/**
 * Runs `start` (which forks the task) with this process inside the task's cgroup, so the task is in
 * it before it can fork anything: a process moved in later would leave its children outside.
 * @template T
 * @param {Tree} tree
 * @param {() => T} start
 * @returns {T}
 */
export function startInTree(tree, start) {
  const back = tree.cgroup === undefined ? undefined : homeCgroup()
  if (back === undefined) delete tree.cgroup // this process is in no cgroup v2: the marker it is
  if (tree.cgroup === undefined || back === undefined) return start()
  mkdirSync(tree.cgroup, { recursive: true })
  for (const [file, value] of Object.entries(tree.limits ?? {})) writeFileSync(path.join(tree.cgroup, file), value)
  writeFileSync(path.join(tree.cgroup, 'cgroup.procs'), String(process.pid))
  try {
    return start()
  } finally {
    writeFileSync(path.join(back, 'cgroup.procs'), String(process.pid))
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
    for (const child of readdirSync(dir, { withFileTypes: true })) if (child.isDirectory()) rmdirSync(path.join(dir, child.name))
    rmdirSync(dir)
    return true
  } catch (error) {
    return /** @type {NodeJS.ErrnoException} */ (error).code === 'ENOENT'
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
