// @ts-check
// The spawn helper: a small Node process, started by the daemon, that starts the daemon's tasks.
//
// Why: fork() copies the page tables of the process that calls it and write-protects its memory, and
// Node's spawn() blocks the calling thread until the child has exec'd. In the daemon (60–70 MB of heap
// after a busy batch, against 6 MB for a bare `node`) each spawn cost more and held up everything else
// the daemon does. Here the fork is of a process that holds nothing, and the daemon's thread is free.
//
// It is JavaScript, not TypeScript, because Node runs it as it is (spawn-helper-main.mjs): from dist/
// once built, and from src/ in the tests. It imports nothing but Node and process-group.mjs, so it stays
// small. Inside the single executable the binary runs it instead of the CLI when DISTW_SPAWN_HELPER=1
// (scripts/package/sea-entry.mjs).
//
// Messages (JSON lines on the pipe at descriptor 3, helper-channel.mjs; an output chunk's bytes follow its
// line raw; the daemon is the only peer):
//   daemon → helper  { op: 'spawn', id, file, args, cwd, env, tree }
//                                                                start a task, in a process group of its own, in its
//                                                                tree (task-tree.mjs: the node's cgroup, in which the task
//                                                                gets one of its own (launcher.mjs, held-start.mjs), and a marker)
//                    { op: 'ack', id, stream }                   one `out` chunk was handled
//                    { op: 'signal', id, signal }                to the task's group and its whole tree
//                    { op: 'cgroup-on-exit', dir, keep }         a node's cgroup, to kill and remove if the daemon dies
//                                                                (those known at the start: DISTW_CGROUPS_ON_EXIT)
//                    { op: 'remove-on-exit', dir, keep }         a folder of the daemon's own to remove if it dies (keep: forget it);
//                                                                the ones known when the helper starts come in DISTW_REMOVE_ON_EXIT
//                                                                (a JSON list), so a daemon killed at once is covered too
//   helper → daemon  { op: 'started', id, pid }                  once it has run STARTED_AFTER_MS
//                    { op: 'out', id, stream, n } + n bytes      at most WINDOW unacknowledged per stream
//                    { op: 'close', id, code, signal }           process, output and every process of its tree ended
//                    { op: 'error', id, message, code, early }   could not start (early: spawn threw)
import { closeInheritedFds } from './inherited-fds.mjs'
import { spawn } from 'node:child_process'
import { rmSync } from 'node:fs'
import { Socket } from 'node:net'
import { LineReader, LineWriter } from './helper-channel.mjs'
import { HeldStarts, heldScript, unstartable } from './held-start.mjs'
import { Launchers } from './launcher.mjs'
import { signalGroup } from './process-group.mjs'
import { TaskCgroups } from './task-cgroups.mjs'
import { inCgroupV2, MARKER, removeCgroup, removeCgroupNow, signalTree, startInTree, treePids } from './task-tree.mjs'
/** @typedef {import('./launcher.mjs').LaunchedTask} LaunchedTask */

/**
 * Chunks (64 KiB each from a pipe) a stream may have in flight before it is paused: the backpressure.
 * When a task exits, Node resumes its streams (child_process flushStdio): what the pipe still holds
 * then, two chunks at most, is sent past the window.
 */
export const WINDOW = 4

/**
 * A task that ends sooner needs no `started`: its `close` says all. One message less a short task was
 * ~3% of benchmark 1 here (each wakes the daemon). Until then the daemon signals the task through here.
 */
export const STARTED_AFTER_MS = 20

/**
 * How long output pipes may stay open after the task's main process exited: then whatever holds them
 * (a `setsid` child) is killed with the rest of the tree. Output written meanwhile still arrives.
 */
export const OUTPUT_GRACE_MS = Number(process.env.DISTW_OUTPUT_GRACE_MS ?? 1000)

/** How long the helper waits for a killed tree to be gone before it reports the task ended anyway. */
const TREE_GONE_MS = 5000

/**
 * @param {string} variable
 * @returns {string[]}
 */
function startingFolders(variable) {
  try {
    const list = JSON.parse(process.env[variable] ?? '[]')
    return Array.isArray(list) ? list.filter((dir) => typeof dir === 'string' && dir !== '') : []
  } catch {
    return []
  }
}

/** The helper's end of its pipe to the daemon (spawn-helper-client.ts passes it as the child's fd 3). */
export const CHANNEL_FD = 3

/** Runs the helper on its pipe to the daemon until the daemon goes away. */
export function runSpawnHelper() {
  if (process.env.DISTW_SPAWN_HELPER !== '1') throw new Error('the spawn helper must be started by the daemon (no channel)')
  closeInheritedFds([CHANNEL_FD])
  const pipe = new Socket({ fd: CHANNEL_FD, readable: true, writable: true })
  const writer = new LineWriter(pipe, CHANNEL_FD)
  const send = (/** @type {object} */ message) => writer.send(message)
  /** @typedef {{ stream: import('node:stream').Readable, unacked: number }} Flow */
  /** @typedef {import('./task-tree.mjs').Tree} Tree */
  /** @typedef {{ pid: number | undefined, tree: Tree, flows: Map<string, Flow>, signals: NodeJS.Signals[], announce?: NodeJS.Timeout, grace?: NodeJS.Timeout }} Task */
  /** @type {Map<number, Task>} */
  const tasks = new Map()
  /** Work folders a daemon made for itself (no --work-dir): it removes them on a clean exit, this on any other. */
  /** @type {Set<string>} */
  const removeOnExit = new Set(startingFolders('DISTW_REMOVE_ON_EXIT'))
  /** Nodes' cgroups: killed and removed if the daemon dies. */
  /** @type {Set<string>} */
  const cgroupsOnExit = new Set(startingFolders('DISTW_CGROUPS_ON_EXIT'))
  /** Task cgroups under the nodes' cgroups, and the two ways of starting a task inside one. */
  const cgroups = new TaskCgroups()
  const launchers = new Launchers()
  /** Shells waiting, each in a cgroup of its own, for the next tasks (held-start.mjs), where there is no perl. */
  const spares = new HeldStarts(cgroups)
  for (const dir of cgroupsOnExit) launchers.prestart(dir)
  let treeSeq = 0
  const cgroupName = () => `t${process.pid.toString(36)}-${++treeSeq}`

  const reader = new LineReader(receive, () => pipe.destroy())
  pipe.on('data', (chunk) => reader.push(chunk))
  /** @param {any} m */
  function receive(m) {
    if (m.op === 'spawn') start(m)
    else if (m.op === 'ack') {
      const flow = tasks.get(m.id)?.flows.get(m.stream)
      if (flow && --flow.unacked < WINDOW) flow.stream.resume()
    } else if (m.op === 'signal') {
      const task = tasks.get(m.id)
      if (task?.pid === undefined) task?.signals.push(m.signal)
      if (task) deliver(task, m.signal)
    } else if (m.op === 'cgroup-on-exit' && m.keep) {
      // The node's cgroup is gone, with its tasks: so are its launchers and what they hold.
      cgroupsOnExit.delete(m.dir)
      launchers.drop(m.dir, false)
      spares.drop(m.dir)
      cgroups.drop(m.dir)
    } else if (m.op === 'cgroup-on-exit') {
      cgroupsOnExit.add(m.dir)
      launchers.prestart(m.dir)
    } else if (m.op === 'remove-on-exit' && m.keep) removeOnExit.delete(m.dir)
    else if (m.op === 'remove-on-exit') removeOnExit.add(m.dir)
  }
  // The daemon exited or crashed: nothing must outlive it.
  let orphaned = false
  const clearUp = () => {
    if (orphaned) return
    orphaned = true
    // Launchers first: a child of one not yet in its task's cgroup then sees it gone and runs nothing.
    launchers.drop(undefined, true)
    for (const task of tasks.values()) {
      signalGroup(task.pid, 'SIGKILL')
      signalTree(task.tree, 'SIGKILL')
    }
    spares.drop(undefined)
    cgroups.drop(undefined)
    for (const dir of cgroupsOnExit) removeCgroupNow(dir)
    // Retries: a task killed just now may still be writing into its folder for a moment.
    for (const dir of removeOnExit) rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 })
  }
  // Signals are the daemon's to act on: a Ctrl-C in its terminal, or `timeout` and service managers
  // that signal the whole process group, reach this process too. Dying on one would leave the
  // tasks running and the daemon's temp folders behind; it ends with the daemon's channel instead.
  for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM', 'SIGHUP'])) process.on(signal, () => {})
  // The daemon's end closed (it exited, crashed or was killed, even before this process started
  // reading: the pipe reads end-of-file all the same), or what it wrote made no sense.
  const orphan = () => {
    clearUp()
    // eslint-disable-next-line no-restricted-properties -- not the CLI: a helper with nothing left to do
    process.exit(0)
  }
  pipe.on('end', orphan)
  pipe.on('close', orphan)
  pipe.on('error', orphan)

  /** @param {{ id: number, file: string, args: string[], cwd: string, env: Record<string, string>, tree: Tree }} m */
  function start(m) {
    const env = { ...m.env, [MARKER]: m.tree.marker }
    const parent = m.tree.parent !== undefined && inCgroupV2() ? m.tree.parent : undefined
    const limits = m.tree.limits ?? {}
    // Inside the node's cgroup: from a launcher (launcher.mjs), else a held shell (held-start.mjs), else
    // (words neither can pass: a NUL, which spawn refuses too) the old way, the helper moving around the fork.
    const words = [m.file, ...m.args, m.cwd, ...Object.entries(env).flat()]
    const viaLauncher = parent !== undefined && launchers.perl !== undefined && !words.some((w) => w.includes('\0'))
    const heldRequest = { file: m.file, args: m.args, cwd: m.cwd, env }
    let script = parent === undefined || viaLauncher ? undefined : heldScript(heldRequest)
    /** @type {'launcher' | 'held' | 'tree'} */
    let way = 'tree'
    /** @type {import('node:child_process').ChildProcess | LaunchedTask | undefined} */
    let child
    try {
      if (parent !== undefined && (viaLauncher || script !== undefined)) {
        // The program is exec'd by a process of ours: what it cannot find is reported as a spawn would report it.
        const missing = m.file === '/bin/sh' ? undefined : unstartable(m.file, m.cwd, env, viaLauncher)
        if (missing !== undefined) {
          send({ op: 'error', id: m.id, message: `spawn ${m.file} ${missing}`, code: missing, early: false })
          return
        }
        if (viaLauncher) {
          const cgroup = cgroups.take(parent, limits)
          child = launchers.start(parent, { id: m.id, cgroup, ...heldRequest })
          if (child) [way, m.tree.cgroup] = ['launcher', cgroup]
          else {
            cgroups.ended(parent, cgroup) // no perl after all: held shells from now on
            script = heldScript(heldRequest)
          }
        }
        if (!child && script !== undefined) {
          const spare = spares.take(parent, limits)
          m.tree.cgroup = spare.cgroup
          spare.child.stdin.end(script)
          ;[way, child] = ['held', spare.child]
        }
      }
      child ??= startInTree(m.tree, cgroupName, () =>
        spawn(m.file, m.args, { cwd: m.cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] }),
      )
    } catch (error) {
      // Arguments spawn refuses outright (a NUL byte in argv), or a cgroup that could not be made or joined.
      if (m.tree.cgroup !== undefined) removeCgroup(m.tree.cgroup)
      send({ op: 'error', id: m.id, message: /** @type {Error} */ (error).message, early: true })
      return
    }
    const launched = child
    /** @type {Task} */
    const task = { pid: launched.pid, tree: m.tree, flows: new Map(), signals: [] }
    tasks.set(m.id, task)
    let done = false
    const finish = (/** @type {object} */ message) => {
      if (done) return
      done = true
      clearTimeout(task.announce)
      clearTimeout(task.grace)
      // Nothing of the task may outlive it: whatever it left running (setsid, double forks, nohup)
      // is killed, and its end is reported once they are gone.
      void endTree(task.tree).then((empty) => {
        const cgroup = task.tree.cgroup
        // Its cgroup's cgroup.kill, if written, goes with it: both ways share the emptied cgroups (task-cgroups.mjs).
        if (way === 'held') spares.ended(/** @type {string} */ (parent), empty ? cgroup : undefined, task.tree.killed)
        else if (way === 'launcher' && empty && cgroup !== undefined)
          cgroups.ended(/** @type {string} */ (parent), cgroup, task.tree.killed)
        if (cgroup !== undefined && !(way !== 'tree' && empty)) removeCgroup(cgroup)
        tasks.delete(m.id)
        send({ ...message, id: m.id })
      })
    }
    launched.once('error', (error) => finish({ op: 'error', message: error.message, code: /** @type {any} */ (error).code, early: false }))
    if (launched.pid === undefined && way !== 'launcher') return // 'error' follows
    // A launched task's pid comes a moment later: a signal sent before then is delivered with it.
    const announce = () => send({ op: 'started', id: m.id, pid: task.pid })
    task.announce = setTimeout(() => (task.pid === undefined ? launched.once('spawn', announce) : announce()), STARTED_AFTER_MS)
    if (task.pid === undefined)
      launched.once('spawn', () => {
        task.pid = launched.pid
        for (const signal of task.signals.splice(0)) deliver(task, signal)
      })
    for (const name of /** @type {const} */ (['stdout', 'stderr'])) {
      const flow = { stream: /** @type {import('node:stream').Readable} */ (launched[name]), unacked: 0 }
      task.flows.set(name, flow)
      flow.stream.on('data', (/** @type {Buffer} */ data) => {
        writer.send({ op: 'out', id: m.id, stream: name, n: data.length }, data)
        if (++flow.unacked >= WINDOW) flow.stream.pause()
      })
    }
    // When the task's own process ends, whatever it left in its group is ended too, and after a grace
    // whatever still holds its output (a child that left the group): otherwise the task never ends.
    launched.once('exit', () => {
      signalGroup(task.pid, 'SIGKILL')
      task.grace = setTimeout(() => signalTree(task.tree, 'SIGKILL'), OUTPUT_GRACE_MS)
    })
    launched.once('close', (code, signal) => finish({ op: 'close', code, signal }))
  }
}

/**
 * Signals a task's process group and its whole tree.
 * @param {{ pid: number | undefined, tree: import('./task-tree.mjs').Tree }} task
 * @param {NodeJS.Signals} signal
 */
function deliver(task, signal) {
  signalGroup(task.pid, signal)
  signalTree(task.tree, signal)
}

/**
 * Kills what is left of a tree and waits (without blocking) until it is gone.
 * @param {import('./task-tree.mjs').Tree} tree
 * @returns {Promise<boolean>} gone (else TREE_GONE_MS passed first)
 */
async function endTree(tree) {
  const deadline = performance.now() + TREE_GONE_MS
  for (let pids = treePids(tree); pids.length > 0; pids = treePids(tree)) {
    if (performance.now() >= deadline) return false
    signalTree(tree, 'SIGKILL')
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  return true
}
