import { Flags } from '@oclif/core'
import { BaseCommand } from '../base-command.js'
import { discoveryToggles } from '../connection-flags.js'
import { defaultSlots, startDaemon } from '../daemon/daemon.js'
import { DEFAULT_PORT } from '../protocol/index.js'
import { securityFlags } from '../daemon-flags.js'
import { daemonSecurityOptions } from '../daemon/security-options.js'
import { durationFlag } from '../duration-flag.js'
import { UserError } from '../errors.js'
import { parseSize } from '../tasks/index.js'
import { PASS_ENV_PATTERN } from '../daemon/env.js'
import { openDaemonLog } from '../daemon/log.js'
import { applyConfig, flagsFromDefault } from '../config/load.js'
import { policyFromFlags } from '../daemon/policy-flags.js'
import { defaultBind } from '../daemon/bind-policy.js'
import { daemonBanner } from '../daemon/banner.js'

export default class Daemon extends BaseCommand {
  static override summary = "Offer this machine's idle slots to submitters on the network."
  static override description =
    'Runs a node: accepts tasks over WebSocket, runs each in a fresh working folder, and sends back every file it created or changed. With the pool secret (`distw pool new` / `distw pool join CODE`, or --secret-file / DISTW_SECRET) it listens on every address and announces itself on the LAN; without one, on loopback only. See docs/SECURITY.md.'
  static override examples = [
    '<%= config.bin %> daemon',
    '<%= config.bin %> daemon --slots 4 --port 7420',
    '<%= config.bin %> daemon --work-dir /var/tmp/distw',
    '<%= config.bin %> daemon --cache-dir ~/.cache/distw --cache-size 20G --max-output 100M',
    '<%= config.bin %> daemon --secret-file ~/distw.secret --allow 192.168.1.0/24',
    '<%= config.bin %> daemon --work-dir /var/tmp/distw --max-timeout 2h --max-task-disk 20G',
    '<%= config.bin %> daemon --bind 0.0.0.0 --name render-box --tag gpu --tag ffmpeg',
  ]

  static override flags = {
    port: Flags.integer({ description: 'TCP port to listen on (0: any free port)', default: DEFAULT_PORT, min: 0, max: 65535 }),
    bind: Flags.string({
      description:
        'address to listen on (default: 0.0.0.0 with a pool secret, else 127.0.0.1; anything but loopback needs a secret or --insecure)',
    }),
    slots: Flags.integer({ description: `tasks run at once (default: cores − 1, here ${defaultSlots()})`, min: 1 }),
    'work-dir': Flags.string({ description: 'folder for task folders and the blob cache (default: a temp folder, removed on exit)' }),
    name: Flags.string({ description: 'name shown to submitters (default: host name)' }),
    heartbeat: durationFlag({ description: 'interval of connection pings; a submitter silent for two is lost (default 5s)' }),
    'submitter-grace': durationFlag({
      description: "how long a lost submitter's tasks keep running before they are killed and their folders removed (default 10s)",
    }),
    'kill-grace': durationFlag({
      description: 'how long a cancelled or timed-out task has between SIGTERM and SIGKILL, to clean up (default 2s)',
    }),
    'cache-dir': Flags.string({ description: 'folder of the blob cache, kept across restarts (default: WORK-DIR/cache)' }),
    'cache-size': Flags.string({ description: 'cache bound, e.g. 20G; least recently used blobs are evicted', default: '10G' }),
    ...securityFlags,
    tag: Flags.string({
      description: 'a capability tag that tasks can require (repeatable)',
      multiple: true,
      multipleNonGreedy: true,
      default: [],
    }),
    ...discoveryToggles,
    // Node policy (issue #8): when new tasks are accepted; running tasks are never stopped by it.
    hours: Flags.string({ description: 'accept new tasks only in this local-time window, e.g. 19:00-07:00' }),
    'max-load': Flags.string({ description: 'stop offering slots while the 1-minute load average is above this' }),
    'daily-budget': Flags.string({ description: 'total task time per local day, e.g. 4h; then paused until midnight' }),
    evict: Flags.boolean({ description: 'also stop running tasks while the policy says paused (default: they finish)' }),
    'pass-env': Flags.string({
      description: "variable of the daemon's environment that tasks get too, a name or a glob like 'CUDA_*' (repeatable; never DISTW_*)",
      multiple: true,
      multipleNonGreedy: true,
    }),
    // A task's whole process tree lives in a cgroup where the node can make one: it can be capped too.
    'task-memory': Flags.string({ description: "cap each task's memory, e.g. 4G (cgroup v2 memory.max; refused where there is none)" }),
    'task-cpus': Flags.string({
      description: "cap each task's CPU time in cores, e.g. 1.5 (cgroup v2 cpu.max; refused where there is none)",
    }),
    config: Flags.string({ description: 'config file (default: ~/.config/distw/config.json); flags > DISTW_* env > file' }),
    // Logs (issue #8): one line per event.
    'log-file': Flags.string({ description: 'append the log to this file instead of standard error' }),
    'log-json': Flags.boolean({ description: 'write the log as one JSON object per line' }),
    verbose: Flags.boolean({ description: 'also log frequent events (each refused reservation)' }),
  }

  async run(): Promise<void> {
    const parsed = await this.parse(Daemon)
    const flags = applyConfig(parsed.flags, {
      fromDefault: flagsFromDefault(parsed.metadata),
      env: process.env,
      configPath: parsed.flags.config,
    })
    // Tags travel comma-separated in the mDNS TXT record, so a tag is one plain word.
    const badTag = flags.tag.find((tag) => !/^[\w.+-]{1,64}$/.test(tag))
    if (badTag !== undefined) throw new UserError(`bad tag "${badTag}"`, 'a tag is 1–64 letters, digits, or . _ + -')
    // The name travels in every handshake (at most 256 characters there) and is shown in prefixes and top.
    if (flags.name !== undefined && !/^[^\u0000-\u001f\u007f]{1,64}$/u.test(flags.name))
      throw new UserError(`bad node name ${JSON.stringify(flags.name)}`, 'a name is 1–64 characters, with no control characters')
    const policy = policyFromFlags({
      hours: flags.hours,
      maxLoad: flags['max-load'] === undefined ? undefined : Number(flags['max-load']),
      dailyBudget: flags['daily-budget'],
      evict: flags.evict,
    })
    const cacheBytes = sizeFlag('cache-size', flags['cache-size'])
    const taskCaps = {
      memoryBytes: flags['task-memory'] === undefined ? undefined : sizeFlag('task-memory', flags['task-memory']),
      cpus: flags['task-cpus'] === undefined ? undefined : cpusFlag(flags['task-cpus']),
    }
    // Every flag value is checked before the root refusal (in daemonSecurityOptions), so a typo is a usage error.
    const security = await daemonSecurityOptions(flags)
    const { log, close: closeLog } = await openDaemonLog({ file: flags['log-file'], json: flags['log-json'], verbose: flags.verbose })
    const daemon = await startDaemon({
      port: flags.port,
      host: flags.bind ?? defaultBind(security.secret !== undefined),
      log,
      ...security,
      tags: flags.tag,
      announce: { mdns: flags.mdns, broadcast: flags.broadcast },
      nodePolicy: policy,
      ...(flags.slots === undefined ? {} : { slots: flags.slots }),
      ...(flags['work-dir'] === undefined ? {} : { workDir: flags['work-dir'] }),
      ...(flags.name === undefined ? {} : { name: flags.name }),
      ...(flags.heartbeat === undefined ? {} : { heartbeatMs: flags.heartbeat }),
      ...(flags['submitter-grace'] === undefined ? {} : { submitterGraceMs: flags['submitter-grace'] }),
      ...(flags['kill-grace'] === undefined ? {} : { killGraceMs: flags['kill-grace'] }),
      ...(flags['cache-dir'] === undefined ? {} : { cacheDir: flags['cache-dir'] }),
      cacheBytes,
      taskCaps,
      passEnv: passEnvFlag(flags['pass-env'] ?? []),
    })
    process.stdout.write(
      daemonBanner(daemon, { secret: security.secret, secretOrigin: security.secretOrigin, mdns: flags.mdns, broadcast: flags.broadcast }),
    )
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve)
      process.once('SIGTERM', resolve)
    })
    log('stopping')
    await daemon.close()
    await closeLog()
  }
}

// A size flag ("512M", "4G") in bytes, or a usage error naming the flag.
function sizeFlag(flag: string, value: string): number {
  try {
    return parseSize(value)
  } catch (error) {
    throw new UserError(`--${flag}: ${(error as Error).message}`)
  }
}

// --task-cpus: cores a task may use, 0.01 at least (cpu.max has a floor of 1 ms a 100 ms period).
function cpusFlag(value: string): number {
  const cpus = Number(value)
  if (!Number.isFinite(cpus) || cpus < 0.01 || cpus > 65536)
    throw new UserError(`--task-cpus ${value} is not a number of cores`, 'e.g. --task-cpus 1.5')
  return cpus
}

// --pass-env: names and globs of variables, checked before the daemon starts.
function passEnvFlag(patterns: string[]): string[] {
  const bad = patterns.find((p) => !PASS_ENV_PATTERN.test(p))
  if (bad !== undefined)
    throw new UserError(`--pass-env ${bad} is not a variable name or glob`, "e.g. --pass-env CUDA_HOME --pass-env 'LICENSE_*'")
  return patterns
}
