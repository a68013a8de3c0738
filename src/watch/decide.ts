// `distw approve HASH` / `distw deny HASH`: the owner's answer, sent to the node on this machine as a
// monitor carrying the owner token (src/pool/owner-token.ts). One node, on loopback: the token never
// leaves the machine.
import { DEFAULT_PORT } from '../protocol/index.js'
import { peerUrl } from '../discovery/peer-address.js'
import { WatchClient } from '../client/watch-client.js'
import { UserError } from '../errors.js'
import { ownerTokenPath, readOwnerToken } from '../pool/owner-token.js'

export interface DecideOptions {
  digest: string
  allow: boolean
  /** The node, HOST:PORT on this machine (default: 127.0.0.1 on the default port). */
  peer?: string | undefined
  secret?: Buffer | undefined
  insecure?: boolean | undefined
  client: string
}

/** Sends the answer; resolves with the line to print. */
export async function decideProgram(options: DecideOptions): Promise<string> {
  const file = ownerTokenPath()
  const token = await readOwnerToken(file)
  if (!token)
    throw new UserError(
      `no owner token at ${file}: no distw daemon --approve of this user has run on this machine`,
      'run this as the user who runs `distw daemon --approve`, on its machine',
    )
  const client = await WatchClient.connect(peerUrl(options.peer ?? `127.0.0.1:${DEFAULT_PORT}`), options)
  try {
    const tasks = await client.decide(options.digest.toLowerCase(), options.allow, token)
    const word = options.allow ? 'approved' : 'denied'
    const held = tasks === 0 ? 'no task was waiting for it' : `${tasks} held task(s) ${options.allow ? 'start now' : 'fail'}`
    return `${word} sha256 ${options.digest.toLowerCase()} on ${client.info.name}: ${held}${options.allow ? '; kept in the approvals file' : ''}\n`
  } finally {
    client.close()
  }
}
