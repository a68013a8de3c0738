// A monitor's `decide` (daemon --approve): the owner's answer to a held program. Taken only from this
// machine (loopback) with the owner token, which only the user running the daemon can read: the pool
// secret alone does not do, every member of the pool holds it.
import { isLoopback, type MessageOf, type Outgoing } from '../../protocol/index.js'
import { tokenMatches } from '../../pool/owner-token.js'
import type { Approvals } from '../policy/approvals.js'

export async function ownerDecision(
  message: MessageOf<'decide'>,
  approvals: { book: Approvals; ownerToken: Buffer } | undefined,
  from: { address: string; peer: string },
  log: (event: string, fields?: Record<string, unknown>) => void,
): Promise<Outgoing> {
  const refuse = (why: string): Outgoing => ({ type: 'error', code: 'DISTW_ERR_NOT_OWNER', message: why })
  if (!approvals) return refuse('this node was not started with --approve: it holds no program for approval')
  if (!isLoopback(from.address) || !tokenMatches(approvals.ownerToken, message.token)) {
    log('approval refused', { peer: from.peer, digest: message.digest })
    return refuse("only this node's owner may approve or deny, on its machine (the owner token did not match, or not over loopback)")
  }
  const tasks = await approvals.book.decide(message.digest, message.allow)
  log(message.allow ? 'program approved' : 'program denied', { digest: message.digest, tasks })
  return { type: 'decided', digest: message.digest, allow: message.allow, tasks }
}
