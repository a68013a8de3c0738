// The daemon's security flags turned into DaemonOptions: the root check, the secret, executable
// digests. Sizes and durations arrive parsed (src/flags/values.ts). Outside the command so it is
// testable and the command stays thin.
import { UserError } from '../errors.js'
import { findSecret } from '../secret.js'
import { hashFile } from '../transfer/hash.js'
import { defaultApprovalsPath, ownerTokenPath } from '../pool/owner-token.js'
import { DEFAULT_APPROVE_TIMEOUT_MS } from '../daemon/policy/approvals.js'
import type { DaemonOptions } from '../daemon/options.js'

/** The daemon's security flags as parsed (see src/flags/daemon.ts). */
export interface SecurityFlagValues {
  'secret-file'?: string | undefined
  insecure: boolean
  allow?: string[] | undefined
  'allow-exe'?: string[] | undefined
  'allow-exe-file'?: string[] | undefined
  approve?: boolean | undefined
  'approve-timeout'?: number | undefined
  'approve-file'?: string | undefined
  'allow-env'?: string[] | undefined
  'max-timeout': number
  'default-timeout'?: number | undefined
  'max-output': number
  'max-task-disk'?: number | undefined
  'allow-root': boolean
}

export type SecurityOptions = Pick<
  DaemonOptions,
  'secret' | 'insecure' | 'allow' | 'policy' | 'maxOutputBytes' | 'maxTaskDiskBytes' | 'approve'
> & {
  /** Where the secret came from (a file, DISTW_SECRET), for the banner. */
  secretOrigin?: string | undefined
}

/** Checks the flags and turns them into daemon options; reads and then forgets DISTW_SECRET. */
export async function daemonSecurityOptions(flags: SecurityFlagValues, uid = process.getuid?.()): Promise<SecurityOptions> {
  const found = await findSecret({ file: flags['secret-file'] })
  // Tasks never inherit the daemon's environment, but a child of the daemon should not see it either.
  delete process.env.DISTW_SECRET
  // Each --allow-exe was checked to be 64 hex digits by its flag.
  const digests = [...(flags['allow-exe'] ?? [])]
  for (const file of flags['allow-exe-file'] ?? []) {
    try {
      digests.push(await hashFile(file))
    } catch (error) {
      throw new UserError(`cannot read --allow-exe-file ${file}: ${(error as NodeJS.ErrnoException).code ?? ''}`, 'check the path')
    }
  }
  const defaultTimeoutMs = flags['default-timeout']
  const maxTaskDiskBytes = flags['max-task-disk']
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
    maxOutputBytes: flags['max-output'],
    ...(flags.approve
      ? {
          approve: {
            file: flags['approve-file'] ?? defaultApprovalsPath(),
            timeoutMs: flags['approve-timeout'] ?? DEFAULT_APPROVE_TIMEOUT_MS,
            tokenFile: ownerTokenPath(),
          },
        }
      : {}),
    ...(maxTaskDiskBytes === undefined ? {} : { maxTaskDiskBytes }),
    policy: {
      allowEnv: flags['allow-env'] ?? [],
      allowExe: digests,
      maxTimeoutMs: flags['max-timeout'],
      ...(defaultTimeoutMs === undefined ? {} : { defaultTimeoutMs }),
    },
  }
}
