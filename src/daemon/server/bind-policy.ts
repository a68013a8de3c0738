// Without a shared secret anyone who can reach the port can run commands here, so a node without one
// listens on loopback only; a LAN address without a secret takes an explicit --insecure. A node of a
// pool (with a secret) serves the LAN unless told otherwise: that is what joining a pool is for.
import { isLoopback } from '../../protocol/index.js'
import { UserError } from '../../errors.js'

/** Throws when the bind would expose an unauthenticated node; returns a line to tell the user otherwise. */
export function checkBind(host: string, hasSecret: boolean, insecure: boolean): string | undefined {
  if (hasSecret)
    return insecure
      ? 'INSECURE: --insecure with a secret: plain WebSocket, authenticated but readable on the network (for debugging only)'
      : undefined
  if (isLoopback(host))
    return `no shared secret: listening on loopback (${host}) only; \`distw pool new\` (or \`distw pool join CODE\`) to serve the network`
  if (!insecure) {
    throw new UserError(
      `refusing to listen on ${host} without a shared secret: anyone who reaches it could run commands as you`,
      'make a pool with `distw pool new` (and `distw pool join CODE` on the submitters), or add --insecure on a network you trust',
    )
  }
  return `INSECURE: listening on ${host} without a shared secret; anyone who can reach this port can run commands as this user`
}

/** The address to listen on when --bind is not given: every address for a node of a pool, else loopback. */
export function defaultBind(hasSecret: boolean): string {
  return hasSecret ? '0.0.0.0' : '127.0.0.1'
}
