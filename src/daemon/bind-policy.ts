// Without a shared secret anyone who can reach the port can run commands here, so a node without one
// listens on loopback only; a LAN address without a secret takes an explicit --insecure.
import { isLoopback } from '../protocol/index.js'
import { UserError } from '../errors.js'

/** Throws when the bind would expose an unauthenticated node; returns a line to tell the user otherwise. */
export function checkBind(host: string, hasSecret: boolean, insecure: boolean): string | undefined {
  if (hasSecret) return undefined
  if (isLoopback(host)) return `no shared secret: listening on loopback (${host}) only; give --secret-file to serve the network`
  if (!insecure) {
    throw new UserError(
      `refusing to listen on ${host} without a shared secret: anyone who reaches it could run commands as you`,
      'make one with `distw secret new FILE` and pass --secret-file FILE (on the submitters too), or add --insecure on a network you trust',
    )
  }
  return `INSECURE: listening on ${host} without a shared secret; anyone who can reach this port can run commands as this user`
}
