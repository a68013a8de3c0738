// The daemon's flags, as parsed and merged with DISTW_* and the config file, turned into the options
// of startDaemon. Every check is done before the root refusal, so a typo is a usage error even as root.
import type { Interfaces } from '@oclif/core'
import { defaultBind } from '../daemon/server/bind-policy.js'
import type { DaemonOptions } from '../daemon/options.js'
import type { daemonFlags } from './daemon.js'
import { policyFromFlags } from './policy-options.js'
import { daemonSecurityOptions } from './security-options.js'

export type DaemonFlagValues = Interfaces.InferredFlags<typeof daemonFlags>

/**
 * Everything startDaemon needs but the log (the command opens that once the options are known good),
 * and where the secret came from, for the banner.
 */
export async function daemonOptions(flags: DaemonFlagValues): Promise<Omit<DaemonOptions, 'log'> & { secretOrigin?: string | undefined }> {
  const nodePolicy = policyFromFlags(flags)
  const security = await daemonSecurityOptions(flags)
  return {
    port: flags.port,
    host: flags.bind ?? defaultBind(security.secret !== undefined),
    ...security,
    tags: flags.tag,
    announce: { mdns: flags.mdns, broadcast: flags.broadcast },
    nodePolicy,
    cacheBytes: flags['cache-size'],
    taskCaps: { memoryBytes: flags['task-memory'], cpus: flags['task-cpus'] },
    passEnv: flags['pass-env'] ?? [],
    ...(flags.slots === undefined ? {} : { slots: flags.slots }),
    ...(flags['work-dir'] === undefined ? {} : { workDir: flags['work-dir'] }),
    ...(flags.name === undefined ? {} : { name: flags.name }),
    ...(flags.heartbeat === undefined ? {} : { heartbeatMs: flags.heartbeat }),
    ...(flags['submitter-grace'] === undefined ? {} : { submitterGraceMs: flags['submitter-grace'] }),
    ...(flags['kill-grace'] === undefined ? {} : { killGraceMs: flags['kill-grace'] }),
    ...(flags['cache-dir'] === undefined ? {} : { cacheDir: flags['cache-dir'] }),
  }
}
