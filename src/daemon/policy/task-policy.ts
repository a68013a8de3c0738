// What this node lets a task do, checked after its folder is filled and before anything starts:
// environment variables, executables, and the timeout it gets.
import type { Command, MessageOf } from '../../protocol/index.js'
import { MAX_TIMER_MS } from '../../tasks/index.js'
import type { Approvals, HoldRequest } from './approvals.js'
import { ExeAllowList } from './policy-exe.js'
import { refusedVariables } from './policy-env.js'

export interface TaskPolicyOptions {
  /** Hijacking variables (LD_PRELOAD, NODE_OPTIONS, …) a task may still set. */
  allowEnv?: string[]
  /** SHA-256 digests of the only executables that may run (default: any). */
  allowExe?: string[]
  /** --approve: a program on no list is held for the owner's answer, not refused. */
  approvals?: Approvals
  /** A task that names no timeout gets this one. */
  defaultTimeoutMs?: number
  /** No task runs longer than this, whatever it asks. */
  maxTimeoutMs?: number
}

export interface Prepared {
  command: Command
  timeoutMs: number | undefined
}

export class TaskPolicy {
  private readonly allowEnv: ReadonlySet<string>
  private readonly exes: ExeAllowList

  constructor(private readonly options: TaskPolicyOptions = {}) {
    this.allowEnv = new Set(options.allowEnv ?? [])
    this.exes = new ExeAllowList(options.allowExe ?? [], options.approvals)
  }

  /** Throws an Error saying what the node refused; the task then fails without running. `hold`: see ExeAllowList.check. */
  async prepare(
    run: MessageOf<'run'>,
    cwd: string,
    env: Record<string, string>,
    hold?: Pick<HoldRequest, 'signal' | 'held'>,
  ): Promise<Prepared> {
    const refused = refusedVariables(run.env, this.allowEnv)
    if (refused.length > 0) {
      throw new Error(
        `refused environment variable(s) ${refused.join(', ')}: they can make programs load other code; ` +
          'the node owner can allow one with --allow-env NAME',
      )
    }
    const command = await this.exes.check(run.command, cwd, env, hold)
    const asked = run.timeoutMs ?? this.options.defaultTimeoutMs
    const max = this.options.maxTimeoutMs
    const timeoutMs = asked === undefined ? max : max === undefined ? asked : Math.min(asked, max)
    // Node fires a timer longer than 2^31-1 ms at once: a huge timeout from the wire is "no limit" in practice, not "kill now".
    return { command, timeoutMs: timeoutMs === undefined ? undefined : Math.min(timeoutMs, MAX_TIMER_MS) }
  }
}
