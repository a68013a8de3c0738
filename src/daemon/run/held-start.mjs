// @ts-check
// Starts tasks inside their cgroup without the spawn helper moving: each task runs in a /bin/sh
// started ahead of it ("held"), which moved itself into a cgroup of its own and waits on its stdin
// for the task, then execs the task's program (or evaluates its shell line) in place.
//
// Why: every move between cgroups takes the kernel's cgroup_threadgroup_rwsem for writing, which
// waits for an RCU grace period (0.1–21 ms, 6.6 ms on average on a default cgroup2 mount). When the
// helper moved itself around each fork (startInTree), its one event loop was blocked for that long,
// and every slot waited on it. Here the wait is the held shell's own, while the slot's previous task
// runs. The shell has forked nothing before it moves, so whatever the task forks is inside.
import { spawn } from 'node:child_process'
import { statSync } from 'node:fs'
import path from 'node:path'
import { removeCgroup } from './task-tree.mjs'
/** @typedef {import('./task-cgroups.mjs').TaskCgroups} TaskCgroups */

/** @typedef {import('node:child_process').ChildProcessByStdio<import('node:stream').Writable, import('node:stream').Readable, import('node:stream').Readable>} Held */
/** @typedef {{ child: Held, cgroup: string, onExit?: () => void }} Spare */
/** @typedef {{ spares: Spare[], running: number, peak: number, limits: Record<string, string>, topUp: boolean }} Pool */

/** Spares kept ready per node cgroup at most: one per slot that ran at once, up to this. */
const MOST_SPARES = 16

/** Single quotes for sh: exact for any string without NUL. */
const quote = (/** @type {string} */ s) => `'${s.replaceAll("'", `'\\''`)}'`

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

/**
 * What the held shell runs once it has the task: the script's one line, or undefined when the task
 * cannot be said as sh words (a NUL, a variable name sh cannot export, a program named like an
 * option): such a task starts the old way (startInTree).
 * @param {{ file: string, args: string[], cwd: string, env: Record<string, string> }} m
 */
export function heldScript(m) {
  const words = [m.file, ...m.args, m.cwd, ...Object.entries(m.env).flat()]
  if (m.file.startsWith('-') || words.some((w) => w.includes('\0'))) return undefined
  const names = Object.keys(m.env)
  if (!names.every((name) => NAME.test(name))) return undefined
  // A shell line runs in this shell itself (what `/bin/sh -c` would start is the same shell): no second exec.
  const line = m.file === '/bin/sh' && m.args.length === 2 && m.args[0] === '-c' ? m.args[1] : undefined
  // cd sets PWD and OLDPWD. A shell line keeps PWD, as `sh -c` started in the folder sets and exports
  // it; a program gets them only from its own env, as a spawned one would.
  const setup = [`cd -- ${quote(m.cwd)} || exit 125`, line === undefined ? 'unset OLDPWD PWD' : 'unset OLDPWD']
  if (names.length > 0)
    setup.push(
      `export ${Object.entries(m.env)
        .map(([k, v]) => quote(`${k}=${v}`))
        .join(' ')}`,
    )
  // stdin is the script's pipe until here; the task reads /dev/null, as a spawned one would. For a shell
  // line it is replaced for good before the eval (this line is read whole by then, and the end of
  // /dev/null then ends the shell with the line's status): `eval … </dev/null` would have dash keep the
  // pipe open at fd 10 while the line runs, a descriptor the task could see and its children inherit.
  const run = line === undefined ? `exec ${[m.file, ...m.args].map(quote).join(' ')} </dev/null` : `exec </dev/null; eval ${quote(line)}`
  return `${setup.join('; ')}; ${run}\n`
}

/**
 * Programs found startable on an absolute PATH entry, by PATH and name (launched tasks only: a launcher's
 * child reports an exec that fails, so one removed since is still reported as a spawn would). A task
 * start looked up 9 entries here (`sleep` is in /usr/bin): ~0.05 ms of the helper's loop, on the path
 * from a slot's last task to its next.
 * @type {Set<string>}
 */
const startable = new Set()
const MOST_STARTABLE = 1024

/**
 * Whether `file` can be started as execvp would find it (PATH from the task's env), else the errno
 * code a spawn would have failed with: the daemon falls back to `/bin/sh -c` on those.
 * `execReports`: the process that execs it reports an exec that fails (a launcher), so a program found
 * before is taken as found.
 * @param {string} file
 * @param {string} cwd
 * @param {Record<string, string>} env
 * @param {boolean} [execReports]
 * @returns {string | undefined}
 */
export function unstartable(file, cwd, env, execReports = false) {
  const pathList = env.PATH ?? '/usr/bin:/bin'
  const key = execReports && !file.includes('/') ? `${pathList}\0${file}` : undefined
  if (key !== undefined && startable.has(key)) return undefined
  const dirs = file.includes('/') ? [''] : pathList.split(':')
  let code = 'ENOENT'
  for (const dir of dirs) {
    const stat = statSync(path.resolve(cwd, dir || '.', file), { throwIfNoEntry: false })
    if (stat === undefined) continue
    if (stat.isFile() && (stat.mode & 0o111) !== 0) {
      // Not one found through a relative entry: that depends on the task's folder.
      if (key !== undefined && path.isAbsolute(dir)) {
        if (startable.size >= MOST_STARTABLE) startable.clear()
        startable.add(key)
      }
      return undefined
    }
    code = 'EACCES'
  }
  return code
}

/** Held shells per node cgroup (the folder a task's cgroup is made in). */
export class HeldStarts {
  /** @type {Map<string, Pool>} */
  pools = new Map()

  /** @param {TaskCgroups} cgroups where each shell's cgroup comes from, and goes back to */
  constructor(cgroups) {
    this.cgroups = cgroups
  }

  /**
   * A held shell for a task, in a cgroup of its own under `parent`: a spare made earlier, or one made now (its
   * move then delays only this task). Keeps as many spares as tasks ran at once under `parent`.
   * @param {string} parent
   * @param {Record<string, string>} limits
   * @returns {Spare}
   */
  take(parent, limits) {
    let pool = this.pools.get(parent)
    if (!pool) {
      pool = { spares: [], running: 0, peak: 0, limits, topUp: false }
      this.pools.set(parent, pool)
    }
    const spare = pool.spares.shift() ?? this.make(parent, pool.limits)
    if (spare.onExit) spare.child.removeListener('exit', spare.onExit)
    pool.peak = Math.min(MOST_SPARES, Math.max(pool.peak, ++pool.running))
    if (!pool.topUp) {
      // After this turn's messages: a fork for later must not hold up the task started now.
      pool.topUp = true
      setImmediate(() => this.topUp(parent))
    }
    return spare
  }

  /**
   * A task under `parent` ended; `cgroup`, its own, is empty (undefined: it could not be emptied).
   * @param {string} parent
   * @param {string | undefined} cgroup
   * @param {boolean} [killed] its cgroup.kill was written
   */
  ended(parent, cgroup, killed = false) {
    const pool = this.pools.get(parent)
    if (pool) pool.running--
    if (cgroup !== undefined) this.cgroups.ended(parent, cgroup, killed)
  }

  /** @param {string} parent */
  topUp(parent) {
    const pool = this.pools.get(parent)
    if (!pool) return
    pool.topUp = false
    try {
      while (pool.spares.length < pool.peak) {
        const spare = this.make(parent, pool.limits)
        pool.spares.push(spare)
        // A spare that dies unused (its node's cgroup killed, the daemon gone) is forgotten.
        spare.onExit = () => {
          pool.spares = pool.spares.filter((s) => s !== spare)
          removeCgroup(spare.cgroup)
        }
        spare.child.once('exit', spare.onExit)
      }
    } catch {
      // The node's cgroup is gone (its daemon closed it): tasks there start the old way, or fail so.
    }
  }

  /** Kills the spares under `parent` (its node closed), or all of them (this process is ending). */
  drop(/** @type {string | undefined} */ parent) {
    for (const [dir, pool] of this.pools) {
      if (parent !== undefined && dir !== parent) continue
      this.pools.delete(dir)
      for (const spare of pool.spares) spare.child.kill('SIGKILL')
    }
  }

  /**
   * A shell that moves itself into a cgroup of its own under `parent` and then waits for its script.
   * Throws when the cgroup cannot be made.
   * @param {string} parent
   * @param {Record<string, string>} limits
   * @returns {Spare}
   */
  make(parent, limits) {
    const cgroup = this.cgroups.take(parent, limits)
    const child = spawn('/bin/sh', ['-s'], { env: {}, detached: true, stdio: ['pipe', 'pipe', 'pipe'] })
    // Until a task takes it: a spare that could not start, or died, is not a crash of this process.
    child.on('error', () => {})
    child.stdin.on('error', () => {})
    if (child.pid === undefined) {
      removeCgroup(cgroup)
      throw new Error('could not start /bin/sh to hold a task')
    }
    // 125, as env(1) and timeout(1) say that they, not the program, failed; the shell says why on stderr.
    child.stdin.write(`echo $$ >${quote(path.join(cgroup, 'cgroup.procs'))} || exit 125\n`)
    return { child, cgroup }
  }
}
