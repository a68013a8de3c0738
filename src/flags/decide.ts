// The arguments and flags of `distw approve HASH` and `distw deny HASH`, and their options: defined
// once for both commands.
import { Args, Flags } from '@oclif/core'
import { peersFrom } from '../discovery/static-peers.js'
import { UserError } from '../errors.js'
import { loadSecret } from '../secret.js'
import { clientName } from '../submit/client-name.js'
import type { DecideOptions } from '../watch/decide.js'
import { connectionFlags } from './connection.js'

export const decideArgs = {
  hash: Args.string({ description: "the program's SHA-256, as the held task's message and distw top show it", required: true }),
}

export const decideFlags = {
  'secret-file': connectionFlags['secret-file'],
  insecure: connectionFlags.insecure,
  peer: Flags.string({ description: 'the node on this machine, HOST:PORT (default: $DISTW_PEERS, else 127.0.0.1:7420)' }),
}

/** The parsed arguments as options of decideProgram. */
export async function decideOptions(
  args: { hash: string },
  flags: { 'secret-file'?: string | undefined; insecure: boolean; peer?: string | undefined },
  allow: boolean,
): Promise<DecideOptions> {
  if (!/^[0-9a-fA-F]{64}$/.test(args.hash))
    throw new UserError(`${args.hash} is not a SHA-256`, 'give the 64 hex digits the held task names (sha256 …)')
  const peers = peersFrom(flags.peer === undefined ? [] : [flags.peer])
  if (peers.length > 1) throw new UserError('approve on one node at a time: the node on this machine', 'name it with --peer HOST:PORT')
  return {
    digest: args.hash,
    allow,
    peer: peers[0],
    secret: await loadSecret({ file: flags['secret-file'] }),
    insecure: flags.insecure,
    client: clientName(),
  }
}
