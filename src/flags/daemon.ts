// Every flag of `distw daemon`, defined once: the command parses them, `daemon install` checks them,
// and the config file and DISTW_* variables are read through them (src/config/), so one definition
// says what a value may be wherever it is written. Security flags: see docs/SECURITY.md.
import { Flags } from '@oclif/core'
import { PASS_ENV_PATTERN } from '../daemon/policy/env.js'
import { DEFAULT_CACHE_BYTES, DEFAULT_MAX_OUTPUT_BYTES, defaultSlots } from '../daemon/options.js'
import { DEFAULT_APPROVE_TIMEOUT_MS } from '../daemon/policy/approvals.js'
import { DEFAULT_PORT } from '../protocol/index.js'
import { discoveryToggles } from './connection.js'
import { boundedDurationFlag, checkedTextFlag, coresFlag, durationFlag, hoursFlag, positiveNumberFlag, sizeFlag } from './values.js'

const repeatable = { multiple: true, multipleNonGreedy: true } as const

export const securityFlags = {
  'secret-file': Flags.string({
    description: "file holding the shared secret (default: $DISTW_SECRET, else the pool's, from `distw pool new` / `distw pool join CODE`)",
  }),
  insecure: Flags.boolean({
    description:
      'allow listening on a non-loopback address without a shared secret; with a secret: plain WebSocket, no TLS (debugging only)',
    default: false,
  }),
  allow: Flags.string({ description: 'client address or CIDR allowed to connect (repeatable; default: any)', ...repeatable }),
  'allow-exe': checkedTextFlag(
    /^[0-9a-fA-F]{64}$/,
    'is not a SHA-256',
    'give 64 hex digits, e.g. from sha256sum FILE',
  )({
    description: 'SHA-256 of an executable tasks may run (repeatable; when set, only these run)',
    ...repeatable,
  }),
  'allow-exe-file': Flags.string({ description: 'executable tasks may run, hashed now (repeatable; like --allow-exe)', ...repeatable }),
  approve: Flags.boolean({
    description:
      'hold a task whose program is on no list until you approve it (distw approve HASH, or a in distw top) or deny it (distw deny HASH, or d)',
    default: false,
  }),
  'approve-timeout': durationFlag({
    description: 'with --approve: a held task not answered within this fails, e.g. 30m',
    default: DEFAULT_APPROVE_TIMEOUT_MS,
    defaultHelp: async () => '10m',
  }),
  'approve-file': Flags.string({
    description: "with --approve: where approvals are kept, one SHA-256 a line (default: allow-exe beside the pool's secret)",
  }),
  'allow-env': Flags.string({
    description: 'loader/shell variable a task may set anyway, e.g. LD_LIBRARY_PATH (repeatable)',
    ...repeatable,
  }),
  'max-timeout': durationFlag({
    description: 'longest a task may run, e.g. 2h (also the default timeout)',
    default: 24 * 3_600_000,
    defaultHelp: async () => '24h',
  }),
  'default-timeout': durationFlag({ description: 'timeout of a task that names none (default: --max-timeout)' }),
  'max-output': sizeFlag({
    description: 'stdout+stderr kept per task; the rest is cut, e.g. 100M',
    default: DEFAULT_MAX_OUTPUT_BYTES,
    defaultHelp: async () => '1G',
  }),
  'max-task-disk': sizeFlag({ description: 'stop a task whose working folder grows past this, e.g. 20G (default: no cap)' }),
  'allow-root': Flags.boolean({ description: 'run even as root (tasks would run as root too)', default: false }),
}

// Node policy (issue #8): when new tasks are accepted; running tasks are never stopped by it.
export const policyFlags = {
  hours: hoursFlag({ description: 'accept new tasks only in this local-time window, e.g. 19:00-07:00' }),
  'max-load': positiveNumberFlag({ description: 'stop offering slots while the 1-minute load average is above this' }),
  'daily-budget': boundedDurationFlag('24h')({ description: 'total task time per local day, e.g. 4h; then paused until midnight' }),
  evict: Flags.boolean({ description: 'also stop running tasks while the policy says paused (default: they finish)' }),
}

export const daemonFlags = {
  port: Flags.integer({ description: 'TCP port to listen on (0: any free port)', default: DEFAULT_PORT, min: 0, max: 65535 }),
  bind: Flags.string({
    description:
      'address to listen on (default: 0.0.0.0 with a pool secret, else 127.0.0.1; anything but loopback needs a secret or --insecure)',
  }),
  slots: Flags.integer({ description: `tasks run at once (default: cores − 1, here ${defaultSlots()})`, min: 1, max: 4096 }),
  'work-dir': Flags.string({ description: 'folder for task folders and the blob cache (default: a temp folder, removed on exit)' }),
  // The name travels in every handshake (at most 256 characters there) and is shown in prefixes and top.
  name: checkedTextFlag(
    /^[^\u0000-\u001f\u007f]{1,64}$/u,
    'is no node name',
    'a name is 1–64 characters, with no control characters',
  )({
    description: 'name shown to submitters (default: host name)',
  }),
  heartbeat: durationFlag({ description: 'interval of connection pings; a submitter silent for two is lost (default 5s)' }),
  'submitter-grace': durationFlag({
    description: "how long a lost submitter's tasks keep running before they are killed and their folders removed (default 10s)",
  }),
  'kill-grace': durationFlag({
    description: 'how long a cancelled or timed-out task has between SIGTERM and SIGKILL, to clean up (default 2s)',
  }),
  'cache-dir': Flags.string({ description: 'folder of the blob cache, kept across restarts (default: WORK-DIR/cache)' }),
  'cache-size': sizeFlag({
    description: 'cache bound, e.g. 20G; least recently used blobs are evicted',
    default: DEFAULT_CACHE_BYTES,
    defaultHelp: async () => '10G',
  }),
  ...securityFlags,
  // Tags travel comma-separated in the mDNS TXT record, so a tag is one plain word.
  tag: checkedTextFlag(
    /^[\w.+-]{1,64}$/,
    'is no tag',
    'a tag is 1–64 letters, digits, or . _ + -',
  )({
    description: 'a capability tag that tasks can require (repeatable)',
    ...repeatable,
    default: [],
  }),
  ...discoveryToggles,
  ...policyFlags,
  'pass-env': checkedTextFlag(
    PASS_ENV_PATTERN,
    'is not a variable name or glob',
    "e.g. --pass-env CUDA_HOME --pass-env 'LICENSE_*'",
  )({
    description: "variable of the daemon's environment that tasks get too, a name or a glob like 'CUDA_*' (repeatable; never DISTW_*)",
    ...repeatable,
  }),
  // A task's whole process tree lives in a cgroup where the node can make one: it can be capped too.
  'task-memory': sizeFlag({ description: "cap each task's memory, e.g. 4G (cgroup v2 memory.max; refused where there is none)" }),
  'task-cpus': coresFlag({ description: "cap each task's CPU time in cores, e.g. 1.5 (cgroup v2 cpu.max; refused where there is none)" }),
  config: Flags.string({ description: 'config file (default: ~/.config/distw/config.json); flags > DISTW_* env > file' }),
  // Logs (issue #8): one line per event.
  'log-file': Flags.string({ description: 'append the log to this file instead of standard error' }),
  'log-json': Flags.boolean({ description: 'write the log as one JSON object per line' }),
  verbose: Flags.boolean({ description: 'also log frequent events (each refused reservation)' }),
}
