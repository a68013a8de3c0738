// Flags shared by every client command (submit, peers, top, status): how to find and reach nodes.
// Defined once here so the commands cannot drift apart.
import { Flags } from '@oclif/core'

export const connectionFlags = {
  peer: Flags.string({ description: 'node to use, HOST:PORT (repeatable); none: an embedded local node', multiple: true, default: [] }),
}
