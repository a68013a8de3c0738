// @ts-check
// Starts tasks inside their cgroup with no Node fork per task: a small long-lived launcher process (perl,
// launcher-script.mjs) starts each task. Node's spawn forks the whole helper (no CLONE_VM in Node 20's libuv):
// ~1.2 ms of the helper's CPU a task, and its loop blocked until the child has exec'd; perl's fork of
// itself is a fraction of that, off the helper's loop.
//
// Node cannot hand a running process new descriptors, so each launcher is spawned with PAIRS fresh
// stdout/stderr pairs (descriptors 3, 4, 5, …: Node makes them all in one spawn) and is retired once
// each pair has gone to a task: every task still has pipes of its own, which only it and what it forks
// hold, so the end of its output is exactly what it was. The launcher closes a pair in itself as soon
// as the task has it, and marks the others close-on-exec, so no task sees another's.
//
// Why perl and not a `/bin/sh -s` launcher: sh starts what it runs in the background (`&`) with
// SIGINT and SIGQUIT ignored when it has no job control (POSIX), which a task cannot undo and passes
// to all it starts; and `wait` reports a death by signal n as 128+n, which `exit 130` also gives.
// perl's waitpid gives the status as the kernel does. It is perl-base on Debian and Ubuntu (required
// there); where there is no perl, tasks start from held shells (held-start.mjs).
import { spawn } from 'node:child_process'
import { EventEmitter } from 'node:events'
import { statSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { DUP3, LAUNCHER } from './launcher-script.mjs'
import { inCgroupV2, makeTaskCgroup, removeCgroup } from './task-tree.mjs'

/**
 * Stdout/stderr pairs a launcher is spawned with: the tasks it starts before it is retired. Each launcher
 * costs the helper a Node spawn (~4 ms of its CPU with 16 pairs, ~6 ms with 64, measured) and perl's
 * start (~2–4 ms): with 64, ~0.15 ms a task instead of ~0.5.
 */
export const PAIRS = 64

/** Signal names by number, and errno names, for what the launcher reports as numbers. */
const SIGNALS = new Map(Object.entries(os.constants.signals).map(([name, n]) => [n, name]))
const ERRNOS = new Map(Object.entries(os.constants.errno).map(([name, n]) => [n, name]))

/**
 * One task started by a launcher, shaped like the ChildProcess the helper otherwise gets: `stdout`,
 * `stderr`, and the events 'spawn' (once `pid` is known), 'exit' and 'close' (code, signal), 'error'.
 */
export class LaunchedTask extends EventEmitter {
  /** @type {number | undefined} */
  pid = undefined
  /** @type {{ code: number | null, signal: NodeJS.Signals | null } | undefined} */
  exited = undefined
  failed = false
  open = 2

  /**
   * @param {string} file
   * @param {import('node:net').Socket} stdout
   * @param {import('node:net').Socket} stderr
   */
  constructor(file, stdout, stderr) {
    super()
    this.file = file
    this.stdout = stdout
    this.stderr = stderr
    for (const stream of [stdout, stderr])
      stream.once('close', () => {
        if (--this.open === 0) this.closed()
      })
  }

  /** @param {number} pid */
  spawned(pid) {
    this.pid = pid
    this.emit('spawn')
  }

  /** @param {number} status the raw wait status */
  reaped(status) {
    if (this.exited || this.failed) return
    const signal = status & 0x7f
    this.exit({
      code: signal === 0 ? status >> 8 : null,
      signal: signal === 0 ? null : /** @type {NodeJS.Signals} */ (SIGNALS.get(signal) ?? `SIG${signal}`),
    })
  }

  /** @param {{ code: number | null, signal: NodeJS.Signals | null }} how */
  exit(how) {
    if (this.exited) return
    this.exited = how
    this.emit('exit', how.code, how.signal)
    if (this.open === 0) this.closed()
  }

  /** The program could not be started (errno from exec or fork): reported as a spawn reports it. */
  fail(/** @type {number} */ errno) {
    if (this.exited || this.failed) return
    this.failed = true
    const code = ERRNOS.get(errno) ?? `E${errno}`
    this.emit('error', Object.assign(new Error(`spawn ${this.file} ${code}`), { code }))
  }

  closed() {
    if (this.exited) this.emit('close', this.exited.code, this.exited.signal)
  }
}

let launcherSeq = 0

/** DISTW_CLONE3=0: tasks are forked and move themselves, as before clone3 (a way out should a kernel misbehave). */
const CLONE3 = process.env.DISTW_CLONE3 !== '0'

/** One launcher process and the tasks it has started that are not reaped yet. */
class Launcher {
  used = 0
  text = ''
  /** @type {Map<string, LaunchedTask>} */
  tasks = new Map()

  /**
   * @param {string} perl
   * @param {string} parent the node's cgroup, in which it gets one of its own (see LAUNCHER)
   */
  constructor(perl, parent) {
    /** @type {import('node:child_process').StdioOptions} */
    const stdio = ['pipe', 'pipe', 'inherit', ...Array.from({ length: 2 * PAIRS }, () => /** @type {const} */ ('pipe'))]
    this.cgroup = CLONE3 ? makeTaskCgroup(parent, {}, () => `l${process.pid.toString(36)}-${++launcherSeq}`) : undefined
    /** @type {import('node:child_process').ChildProcess} */
    this.child = spawn(perl, ['-e', LAUNCHER, String(PAIRS), DUP3, this.cgroup ?? ''], { env: {}, detached: true, stdio })
    this.child.on('error', () => this.cgroup && removeCgroup(this.cgroup)) // no perl after all: pid is undefined, and the caller stops using launchers
    this.child.stdin?.on('error', () => {})
    this.child.stdout?.setEncoding('latin1').on('data', (/** @type {string} */ data) => this.read(data))
    // Gone once it exited and its last lines are read: Node may report the exit first, and a task whose
    // `X` was still in the pipe would be taken for killed with it.
    let ends = this.child.stdout ? 2 : 1
    const ended = () => --ends === 0 && this.gone()
    this.child.once('exit', ended)
    this.child.stdout?.once('close', ended)
  }

  /**
   * Starts one task: the launcher forks, and the child runs the program in `cgroup`.
   * @param {{ id: number, cgroup: string, file: string, args: string[], cwd: string, env: Record<string, string> }} m
   */
  start(m) {
    const i = this.used++
    const [out, err] = [this.child.stdio[3 + 2 * i], this.child.stdio[4 + 2 * i]]
    const task = new LaunchedTask(m.file, /** @type {import('node:net').Socket} */ (out), /** @type {import('node:net').Socket} */ (err))
    this.tasks.set(String(m.id), task)
    const env = Object.entries(m.env).map(([k, v]) => `${k}=${v}`)
    const words = [String(m.id), m.cgroup, m.cwd, m.file, String(m.args.length), ...m.args, String(env.length), ...env]
    this.child.stdin?.write(`${words.join('\0')}\0`)
    if (this.used === PAIRS) this.child.stdin?.end() // retired: it exits once its last task is reaped
    return task
  }

  /** @param {string} data */
  read(data) {
    const lines = (this.text + data).split('\n')
    this.text = lines.pop() ?? ''
    for (const line of lines) {
      const [kind, id = '', value = ''] = line.split(' ')
      const task = this.tasks.get(id)
      if (!task) continue
      if (kind === 'S') task.spawned(Number(value))
      else if (kind === 'E') task.fail(Number(value))
      else if (kind === 'X') {
        this.tasks.delete(id)
        task.reaped(Number(value))
      }
    }
  }

  // The launcher ended. Pairs no task took are closed here; a task it had not reported reaped was killed
  // with it (its node closed, this process is ending): it ended as if by SIGKILL, which the helper makes true.
  gone() {
    if (this.cgroup) removeCgroup(this.cgroup)
    for (let i = this.used; i < PAIRS; i++) {
      this.child.stdio[3 + 2 * i]?.destroy()
      this.child.stdio[4 + 2 * i]?.destroy()
    }
    for (const task of this.tasks.values()) if (!task.failed) task.exit({ code: null, signal: 'SIGKILL' })
    this.tasks.clear()
  }
}

/** Where perl is, from this process's PATH; undefined if there is none, or DISTW_LAUNCHER=0. */
function findPerl() {
  if (process.env.DISTW_LAUNCHER === '0') return undefined
  for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(':')) {
    const file = path.join(dir || '.', 'perl')
    const stat = statSync(file, { throwIfNoEntry: false })
    if (stat?.isFile() && (stat.mode & 0o111) !== 0) return path.resolve(file)
  }
  return undefined
}

/**
 * The launchers of a cgroup the daemon never named are retired after this long without a task (a node
 * closed without saying so). A named node's are kept: the daemon says when it closes.
 */
const IDLE_MS = 5000

/** The launchers of each node cgroup: the one handing out its pairs, and the next, started ahead. */
export class Launchers {
  /** undefined: tasks start from held shells */
  perl = findPerl()
  /** @type {Map<string, { current?: Launcher, next?: Launcher, used: number }>} */
  nodes = new Map()
  /** Node cgroups the daemon named (it says when each closes): their launchers are not retired when idle. */
  /** @type {Set<string>} */
  named = new Set()
  /** @type {NodeJS.Timeout | undefined} */
  sweep = undefined

  /**
   * The daemon named a node's cgroup (at its start): its first launcher starts now, so the node's first
   * task does not wait for perl (and the helper's first spawn is not on a task's path).
   * @param {string} parent
   */
  prestart(parent) {
    this.named.add(parent)
    if (this.perl === undefined || !inCgroupV2() || this.nodes.has(parent)) return
    let next
    try {
      next = new Launcher(this.perl, parent)
    } catch {
      return // its cgroup could not be made: the first task makes one, or says why not
    }
    if (next.child.pid === undefined) this.perl = undefined
    else this.nodes.set(parent, { next, used: performance.now() })
  }

  /**
   * Starts a task in `m.cgroup` (under the node cgroup `parent`), or returns undefined when there is no
   * launcher to be had (no perl): the caller then starts it from a held shell.
   * @param {string} parent
   * @param {{ id: number, cgroup: string, file: string, args: string[], cwd: string, env: Record<string, string> }} m
   * @returns {LaunchedTask | undefined}
   */
  start(parent, m) {
    if (this.perl === undefined) return undefined
    let node = this.nodes.get(parent)
    if (!node) this.nodes.set(parent, (node = { used: 0 }))
    const launcher = node.current ?? node.next ?? new Launcher(this.perl, parent)
    if (launcher.child.pid === undefined) {
      this.perl = undefined
      return undefined
    }
    node.current = launcher
    node.used = performance.now()
    if (launcher === node.next) delete node.next
    const task = launcher.start(m)
    if (launcher.used === PAIRS) delete node.current
    // The next launcher starts ahead, after this turn's messages (its spawn blocks this loop ~3 ms).
    if (node.next === undefined && PAIRS - launcher.used <= PAIRS / 4) {
      const ahead = node
      setImmediate(() => {
        if (this.nodes.get(parent) !== ahead || ahead.next !== undefined || !this.perl) return
        try {
          ahead.next = new Launcher(this.perl, parent)
        } catch {
          // its cgroup could not be made (the node's is going): the next task tries again
        }
      })
    }
    if (!this.named.has(parent)) this.sweep ??= setInterval(() => this.retireIdle(), IDLE_MS).unref()
    return task
  }

  retireIdle() {
    for (const [dir, node] of this.nodes) if (!this.named.has(dir) && performance.now() - node.used > IDLE_MS) this.drop(dir, false)
    if ([...this.nodes.keys()].some((dir) => !this.named.has(dir))) return
    clearInterval(this.sweep)
    this.sweep = undefined
  }

  /**
   * Retires the launchers of `parent` (its node closed, or idle), or of every node: each exits once
   * the tasks it started are reaped, or at once if `kill` (this process is ending).
   * @param {string | undefined} parent
   * @param {boolean} kill
   */
  drop(parent, kill) {
    if (parent === undefined) this.named.clear()
    else this.named.delete(parent)
    for (const [dir, node] of this.nodes) {
      if (parent !== undefined && dir !== parent) continue
      this.nodes.delete(dir)
      for (const launcher of [node.current, node.next])
        if (kill) launcher?.child.kill('SIGKILL')
        else launcher?.child.stdin?.end()
    }
  }
}
