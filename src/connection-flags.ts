// Flags shared by every client command (submit, peers, top, status): how to find and reach nodes.
// Defined once here so the commands cannot drift apart.
import { Flags } from '@oclif/core'

export const connectionFlags = {
  peer: Flags.string({ description: 'node to use, HOST:PORT (repeatable); none: an embedded local node', multiple: true, default: [] }),
  'secret-file': Flags.string({
    description: 'file holding the shared secret the nodes use (default: $DISTW_SECRET); make one with `distw secret new FILE`',
  }),
}
