// What a node is given (startDaemon's options; src/flags/ translates the command line into them), and
// the defaults its flags show.
import os from 'node:os'
import type { UploadLimits } from './blobs/upload-limits.js'
import type { ApprovalOptions } from './policy/approvals.js'
import type { PolicyEnvironment, PolicyOptions } from './policy/policy.js'
import type { TaskPolicyOptions } from './policy/task-policy.js'
import type { TaskCaps } from './run/task-tree.js'
import type { AuthLimiterOptions } from './server/auth-limiter.js'

export interface DaemonOptions {
  port?: number
  host?: string
  slots?: number
  /** Where task folders and the blob cache live; default: a folder under the OS temp dir. */
  workDir?: string
  /** Where the blob cache lives (kept across restarts); default: `workDir/cache`. */
  cacheDir?: string
  /** Soft cap on the blob cache: least recently used blobs beyond it are evicted. Default: 10 GiB. */
  cacheBytes?: number
  /** Bounds on unfinished uploads (default: from the open-file limit and the cache cap; tests lower them). */
  uploadLimits?: UploadLimits
  name?: string
  tags?: string[]
  /** The shared secret; without one the node may only listen on loopback (unless `insecure`). */
  secret?: Buffer | undefined
  /** Allows a non-loopback address without a secret. */
  insecure?: boolean
  /** Client addresses or CIDR blocks allowed to connect (default: any). */
  allow?: string[]
  authLimits?: AuthLimiterOptions
  /** Environment variables, executables and timeouts a task is allowed. */
  policy?: TaskPolicyOptions
  /** --approve: programs on no list wait for the owner's answer; `tokenFile` holds the owner token. */
  approve?: (ApprovalOptions & { tokenFile: string }) | undefined
  /** Stop a task whose working folder grows past this many bytes. */
  maxTaskDiskBytes?: number
  maxOutputBytes?: number
  killGraceMs?: number
  /** Interval of WebSocket pings; a submitter silent for two of them is lost. */
  heartbeatMs?: number
  /** How long a lost submitter's tasks keep running before they are killed and their folders removed. */
  submitterGraceMs?: number
  /** How long a lease no run uses is held (default LEASE_TTL_MS, 30 s; tests shorten it). */
  leaseTtlMs?: number
  log?: (event: string, fields?: Record<string, unknown>) => void
  /** Announce the node on the LAN (mDNS, UDP probe answers). Off unless asked: `distw daemon` asks. */
  announce?: { mdns: boolean; broadcast: boolean }
  /** When new tasks are accepted (hours, load, daily budget); running tasks are never stopped by it. */
  nodePolicy?: PolicyOptions
  /**
   * false: find a task's processes by the marker variable only, even where a cgroup could be made
   * (the fallback, for tests; `DISTW_NO_CGROUP=1` does the same).
   */
  cgroups?: boolean
  /** Variables of the daemon's environment that tasks get too: names or globs (never DISTW_*). */
  passEnv?: string[]
  /** Per-task memory and CPU caps (cgroup v2 with those controllers, else the daemon does not start). */
  taskCaps?: TaskCaps
  /** Clock and load source for the policy (tests inject them). */
  policyEnvironment?: PolicyEnvironment
}

export const DEFAULT_SUBMITTER_GRACE_MS = 10_000
export const DEFAULT_CACHE_BYTES = 10 * 1024 ** 3
export const DEFAULT_MAX_OUTPUT_BYTES = 1024 ** 3

/** cores − 1, at least 1: the machine stays usable for the person sitting at it. */
export function defaultSlots(): number {
  return Math.max(1, os.availableParallelism() - 1)
}
