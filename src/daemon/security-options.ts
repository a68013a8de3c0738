// The daemon's security flags turned into DaemonOptions: the root check, the secret, executable
// digests, sizes and durations. Outside the command so it is testable and the command stays thin.
import { UserError } from '../errors.js'
import { findSecret } from '../secret.js'
import { parseDuration, parseSize } from '../tasks/index.js'
import { hashFile } from '../transfer/hash.js'
import type { DaemonOptions } from './daemon.js'

/** The daemon's security flags as parsed (see src/daemon-flags.ts). */
export interface SecurityFlagValues {
  'secret-file'?: string | undefined
  insecure: boolean
  allow?: string[] | undefined
  'allow-exe'?: string[] | undefined
  'allow-exe-file'?: string[] | undefined
  'allow-env'?: string[] | undefined
  'max-timeout': string
  'default-timeout'?: string | undefined
  'max-output': string
  'max-task-disk'?: string | undefined
  'allow-root': boolean
}

export type SecurityOptions = Pick<DaemonOptions, 'secret' | 'insecure' | 'allow' | 'policy' | 'maxOutputBytes' | 'maxTaskDiskBytes'> & {
  /** Where the secret came from (a file, DISTW_SECRET), for the banner. */
  secretOrigin?: string | undefined
}

/** Checks the flags and turns them into daemon options; reads and then forgets DISTW_SECRET. */
export async function daemonSecurityOptions(flags: SecurityFlagValues, uid = process.getuid?.()): Promise<SecurityOptions> {
  const found = await findSecret({ file: flags['secret-file'] })
  // Tasks never inherit the daemon's environment, but a child of the daemon should not see it either.
  delete process.env.DISTW_SECRET
  const digests = [...(flags['allow-exe'] ?? [])]
  for (const digest of digests) {
    if (!/^[0-9a-fA-F]{64}$/.test(digest))
      throw new UserError(`--allow-exe ${digest} is not a SHA-256`, 'give 64 hex digits, e.g. from sha256sum FILE')
  }
  for (const file of flags['allow-exe-file'] ?? []) {
    try {
      digests.push(await hashFile(file))
    } catch (error) {
      throw new UserError(`cannot read --allow-exe-file ${file}: ${(error as NodeJS.ErrnoException).code ?? ''}`, 'check the path')
    }
  }
  const maxTimeoutMs = parse('--max-timeout', flags['max-timeout'], parseDuration)
  const defaultTimeoutMs =
    flags['default-timeout'] === undefined ? undefined : parse('--default-timeout', flags['default-timeout'], parseDuration)
  const maxTaskDisk = flags['max-task-disk']
  const maxOutputBytes = parse('--max-output', flags['max-output'], parseSize)
  const maxTaskDiskBytes = maxTaskDisk === undefined ? undefined : parse('--max-task-disk', maxTaskDisk, parseSize)
  // Refused after every flag value was checked: a mistyped flag is a usage error (exit 2) even as root.
  if (uid === 0 && !flags['allow-root']) {
    throw new UserError(
      'refusing to run as root: every task would run as root',
      'run the daemon as an ordinary user (or a dedicated one); add --allow-root only if you really mean it',
    )
  }
  return {
    secret: found?.secret,
    secretOrigin: found?.origin,
    insecure: flags.insecure,
    allow: flags.allow ?? [],
    maxOutputBytes,
    ...(maxTaskDiskBytes === undefined ? {} : { maxTaskDiskBytes }),
    policy: {
      allowEnv: flags['allow-env'] ?? [],
      allowExe: digests,
      maxTimeoutMs,
      ...(defaultTimeoutMs === undefined ? {} : { defaultTimeoutMs }),
    },
  }
}

function parse<T>(flag: string, value: string, parser: (s: string) => T): T {
  try {
    return parser(value)
  } catch (error) {
    throw new UserError(`${flag}: ${(error as Error).message}`)
  }
}
