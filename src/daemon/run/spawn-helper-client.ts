// The daemon's side of the spawn helper (spawn-helper.mjs says why there is one, and its messages): one
// helper process for this whole process, started when a daemon listens (or by the first task) and again if it dies.
import { spawn, type ChildProcess } from 'node:child_process'
import type { Socket } from 'node:net'
import { fileURLToPath } from 'node:url'
import { runningAsSingleExecutable } from '../../single-executable.js'
import { LineReader, LineWriter } from './helper-channel.mjs'
import { signalGroup } from './process-group.mjs'
import { killCgroup, signalTree, type Tree } from './task-tree.mjs'

export interface LaunchRequest {
  file: string
  args: string[]
  cwd: string
  env: Record<string, string>
  /** `PWD` for the task, over `env`'s (a program started without the shell: PWD as sh sets it). */
  pwd?: string | undefined
  /** Where the task's processes are found and killed (task-tree.ts). */
  tree: Tree
}

export type LaunchEnd =
  | { code: number | null; signal: string | null }
  /**
   * `refused`: spawn refused the arguments themselves; `failed`: the program could not be started
   * (`code` is the errno name, ENOENT…); `lost`: the helper died, and the task with it.
   */
  | { error: string; kind: 'refused' | 'failed' | 'lost'; code?: string }

export interface Launched {
  /** Signals the task's process group and every other process of its tree (through the helper). */
  signal(signal: NodeJS.Signals): void
  /** After the process, its output and every process of its tree have ended, with every `onOutput` call made. */
  readonly ended: Promise<LaunchEnd>
}

/** Receives output as it comes; a returned promise holds that stream back until it settles. */
export type OnOutput = (stream: 'stdout' | 'stderr', data: Buffer) => Promise<void> | undefined

interface Pending {
  onOutput: OnOutput
  /** The helper says the process still runs STARTED_AFTER_MS after it was started. */
  onStarted: (() => void) | undefined
  tree: Tree
  pid?: number
  ended(end: LaunchEnd): void
}

// What the helper sends (spawn-helper.mjs). It is this daemon's own child, not the network: trusted as
// it comes (helper-channel.mjs). An `out` message's bytes come beside it.
type HelperMessage =
  | { op: 'started'; id: number; pid: number }
  | { op: 'out'; id: number; stream: 'stdout' | 'stderr'; n: number }
  | { op: 'close'; id: number; code: number | null; signal: string | null }
  | { op: 'error'; id: number; message: string; code?: string; early: boolean }

/** A running helper: the process and the pipe to it (its descriptor 3). */
interface Helper {
  process: ChildProcess
  pipe: Socket
  writer: LineWriter
}

class SpawnHelper {
  private child: Helper | undefined
  private readonly pending = new Map<number, Pending>()
  private nextId = 1
  /** Folders the helper removes if this process dies without removing them itself. */
  private readonly removeOnExit = new Set<string>()
  private readonly cgroups = new Set<string>()
  /** Whether the helper's process and pipe keep this process alive (while tasks run). */
  private held = true
  private idleCheck = false
  /** Tasks that ended in the helper's last read (until the turn ends): each may hand its slot to a queued run. */
  private turnovers = 0
  private turnoversReset = false

  /** The helper removes `dir` if this process ends without doing so (a daemon SIGKILLed, OOM-killed). */
  removeIfKilled(dir: string): void {
    this.removeOnExit.add(dir)
    if (this.child) this.send(this.child, { op: 'remove-on-exit', dir, keep: false })
  }

  /** `dir` is removed (or kept on purpose) by this process: the helper forgets it. */
  forgetRemoval(dir: string): void {
    this.removeOnExit.delete(dir)
    if (this.child) this.send(this.child, { op: 'remove-on-exit', dir, keep: true })
  }

  /** A node's cgroup: the helper kills and removes it if this process dies first (keep: forget it). */
  cgroupIfKilled(dir: string, keep: boolean): void {
    if (keep) this.cgroups.delete(dir)
    else this.cgroups.add(dir)
    if (this.child) this.send(this.child, { op: 'cgroup-on-exit', dir, keep })
  }

  /** Starts the helper now if it is not running, so that the first task does not wait for it (~0.15 s). */
  warmUp(): void {
    if (!this.child) this.start()
    if (this.pending.size === 0) this.hold(false)
  }

  launch(request: LaunchRequest, onOutput: OnOutput, onStarted?: () => void): Launched {
    const child = this.child ?? this.start()
    const id = this.nextId++
    let ended!: (end: LaunchEnd) => void
    const launched: Launched = {
      ended: new Promise((resolve) => (ended = resolve)),
      signal: (signal) => {
        if (this.pending.has(id)) this.send(child, { op: 'signal', id, signal })
      },
    }
    this.pending.set(id, { onOutput, onStarted, ended, tree: request.tree })
    if (!this.held) this.hold(true)
    this.send(child, spawnJson(id, request))
    // The starts that tasks ended in one read of the helper lead to (a run queued on each lease) leave
    // in one write as soon as the last is made, not at the end of the turn, which goes on with the ended
    // tasks' exit frames and what else was read (0.1 ms median, 0.4–0.6 mean at load 7–10 before). One
    // write, not one a start: the helper woken for the first start sleeps again before the second comes,
    // and its second wake-up cost the other slot ~1 ms a task at load 15 (docs/INTERNALS.md).
    if (this.turnovers > 0 && --this.turnovers === 0 && this.child === child) child.writer.flush()
    return launched
  }

  private start(): Helper {
    // Inside the single executable there is no script to run: the binary itself becomes the helper.
    const args = runningAsSingleExecutable() ? [] : [fileURLToPath(new URL('./spawn-helper-main.mjs', import.meta.url))]
    // Not the daemon's own flags (a profiler, a test runner's loader): no execArgv. Descriptor 3 is the
    // channel, a socket pair; Node makes the helper's end close-on-exec, so no task inherits it.
    const proc = spawn(process.execPath, args, {
      stdio: ['ignore', 'inherit', 'inherit', 'pipe'],
      env: {
        ...process.env,
        DISTW_SPAWN_HELPER: '1',
        DISTW_REMOVE_ON_EXIT: JSON.stringify([...this.removeOnExit]),
        DISTW_CGROUPS_ON_EXIT: JSON.stringify([...this.cgroups]),
      },
    })
    const pipe = proc.stdio[3] as Socket
    // Its descriptor, for writes that skip the stream while it has nothing queued (helper-channel.mjs).
    const fd = (pipe as unknown as { _handle?: { fd?: number } })._handle?.fd
    const child: Helper = { process: proc, pipe, writer: new LineWriter(pipe, fd !== undefined && fd >= 0 ? fd : undefined) }
    const reader = new LineReader(
      (m: HelperMessage, data: Buffer | undefined) => this.receive(child, m, data),
      (error) => {
        // Not what the helper writes: it is broken, so it is ended, and its tasks with it.
        proc.kill('SIGKILL')
        this.lost(child, `the spawn helper sent what it should not (${error.message})`)
      },
    )
    pipe.on('data', (chunk: Buffer) => reader.push(chunk))
    pipe.on('error', () => {}) // a write after the helper died: its exit says so
    proc.once('exit', (code, signal) => this.lost(child, `the spawn helper exited (${signal ?? `code ${code}`})`))
    proc.on('error', (error) => this.lost(child, `the spawn helper failed: ${error.message}`))
    this.child = child
    this.held = true // a new process and pipe are ref'd
    return child
  }

  private receive(child: Helper, m: HelperMessage, data: Buffer | undefined): void {
    const p = this.pending.get(m.id)
    if (!p) return
    switch (m.op) {
      case 'started':
        p.pid = m.pid
        p.onStarted?.()
        break
      case 'out': {
        const ack = (): void => this.send(child, { op: 'ack', id: m.id, stream: m.stream })
        const wait = p.onOutput(m.stream, data ?? Buffer.alloc(0))
        if (wait) wait.then(ack, ack)
        else ack()
        break
      }
      case 'close':
        this.end(m.id, { code: m.code, signal: m.signal })
        break
      case 'error':
        this.end(m.id, { error: m.message, kind: m.early ? 'refused' : 'failed', ...(m.code === undefined ? {} : { code: m.code }) })
        break
    }
  }

  private end(id: number, end: LaunchEnd): void {
    const p = this.pending.get(id)
    if (!p) return
    this.pending.delete(id)
    this.turnovers++
    if (!this.turnoversReset) {
      this.turnoversReset = true
      setImmediate(() => {
        this.turnovers = 0
        this.turnoversReset = false
      })
    }
    p.ended(end)
    // Let go once the turn ends with nothing running: a task that ends as the next one starts (a run
    // queued on its lease) does not unref and ref the helper's two handles each time.
    if (this.pending.size === 0 && !this.idleCheck) {
      this.idleCheck = true
      setImmediate(() => {
        this.idleCheck = false
        if (this.pending.size === 0) this.hold(false)
      })
    }
  }

  // The helper is gone: its tasks' output pipes went with it, so they are ended and reported as lost.
  // (A task younger than STARTED_AFTER_MS, whose pid this side never learnt, is found by its tree.)
  private lost(child: Helper, reason: string): void {
    if (this.child !== child) return
    this.child = undefined
    this.killAll()
    for (const id of [...this.pending.keys()]) this.end(id, { error: reason, kind: 'lost' })
  }

  /**
   * Kills the tasks still running (this process is exiting, or their helper died: a crash must not
   * leave them behind). Only the helper knows each task's own cgroup: their nodes' cgroups are killed
   * whole, which also ends the helper's held shells there.
   */
  killAll(): void {
    const nodes = new Set<string>()
    for (const p of this.pending.values()) {
      signalGroup(p.pid, 'SIGKILL')
      if (p.tree.parent === undefined) signalTree(p.tree, 'SIGKILL')
      else nodes.add(p.tree.parent)
    }
    for (const dir of nodes) killCgroup(dir)
  }

  // `message` as an object, or already as JSON text.
  private send(child: Helper, message: object | string): void {
    if (this.child !== child || !child.pipe.writable) return
    if (typeof message === 'string') child.writer.sendJson(message)
    else child.writer.send(message)
  }

  // While no task runs, the helper must not keep this process alive (a library user's script, a test).
  private hold(busy: boolean): void {
    const child = this.child
    if (!child) return
    this.held = busy
    if (busy) {
      child.process.ref()
      child.pipe.ref()
    } else {
      child.process.unref()
      child.pipe.unref()
    }
  }
}

// The spawn message as JSON text. The environment is most of it, and most tasks share one (the node's
// base, frozen: it cannot change once serialised), so its text is made once, not per task; `PWD` goes
// after it, where JSON.parse lets a later key win, as a spread `{ ...env, PWD }` would. JSON.stringify of
// the whole message was ~1.8% of the daemon's CPU on `true` tasks (perf).
const frozenEnvJson = new WeakMap<object, string>()
export function spawnJson(id: number, { file, args, cwd, env, pwd, tree }: LaunchRequest): string {
  let envJson = frozenEnvJson.get(env)
  if (envJson === undefined) {
    envJson = JSON.stringify(env)
    if (Object.isFrozen(env)) frozenEnvJson.set(env, envJson)
  }
  if (pwd !== undefined) envJson = `${envJson.length > 2 ? `${envJson.slice(0, -1)},` : '{'}"PWD":${JSON.stringify(pwd)}}`
  return `{"op":"spawn","id":${id},"file":${JSON.stringify(file)},"args":${JSON.stringify(args)},"cwd":${JSON.stringify(cwd)},"env":${envJson},"tree":${JSON.stringify(tree)}}`
}

// One for the whole process: a second one measured no faster here (2 cores), the forks are cheap now.
const helper = new SpawnHelper()
// The helper also kills them when this process's IPC channel closes; this is for the ones it has
// told the pid of, at once.
process.once('exit', () => helper.killAll())

/** Starts the spawn helper ahead of the first task (a daemon does so when it starts listening). */
export function warmUpSpawnHelper(): void {
  helper.warmUp()
}

/** A temp work folder of a daemon's own: removed by the helper if this process is killed first. */
export function removeIfKilled(dir: string): void {
  helper.removeIfKilled(dir)
}

/** A node's cgroup: killed and removed by the helper if this process is killed first (keep: forget it). */
export function cgroupIfKilled(dir: string, keep = false): void {
  helper.cgroupIfKilled(dir, keep)
}

export function forgetRemoval(dir: string): void {
  helper.forgetRemoval(dir)
}

/** Starts a task's process through the spawn helper; `onStarted` once it has run STARTED_AFTER_MS. */
export function launch(request: LaunchRequest, onOutput: OnOutput, onStarted?: () => void): Launched {
  return helper.launch(request, onOutput, onStarted)
}
