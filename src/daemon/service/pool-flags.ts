// What `distw daemon install` adds to the flags it was given: the pool secret, named by its absolute
// path (a service starts with another environment: XDG_CONFIG_HOME may not be set there), and the root
// refusal, said now rather than in a service log at the next boot.
import fs from 'node:fs/promises'
import { UserError } from '../../errors.js'
import { defaultSecretPath } from '../../pool/secret-path.js'
import { poolId } from '../../protocol/index.js'
import { loadSecret } from '../../secret.js'

export interface InstallFacts {
  uid: number | undefined
  /** The pool's secret file (default: defaultSecretPath()). */
  secretFile?: string
}

/** The daemon flags the service gets, and lines telling the user which pool it serves. */
export async function serviceFlags(flags: readonly string[], facts: InstallFacts): Promise<{ flags: string[]; notes: string[] }> {
  const given = (name: string) => flags.some((flag) => flag === name || flag.startsWith(`${name}=`))
  if (facts.uid === 0 && !given('--allow-root')) {
    throw new UserError(
      'refusing to install the daemon as root: every task it runs would run as root',
      'install it as the user that should run tasks (log in as that user, then `distw pool join CODE` and `distw daemon install`); add --allow-root only if you mean it',
    )
  }
  if (given('--secret-file')) return { flags: [...flags], notes: [] }
  const file = facts.secretFile ?? defaultSecretPath()
  const present = await fs.stat(file).then(
    () => true,
    () => false,
  )
  if (!present) {
    return {
      flags: [...flags],
      notes: [
        'no pool on this machine: the service listens on loopback only; `distw pool join CODE` (or `distw pool new`), then install again',
      ],
    }
  }
  // Read now, so that a secret the service could not use (loose mode, a typo) is refused here.
  const secret = await loadSecret({ file })
  return { flags: [...flags, '--secret-file', file], notes: [`the service serves pool ${poolId(secret as Buffer)} (${file}) on the LAN`] }
}
