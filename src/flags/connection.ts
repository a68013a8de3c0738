// Flags shared by every client command (submit, peers, top, status): how to find and reach nodes.
// Defined once here so the commands cannot drift apart.
import { Flags } from '@oclif/core'
import { DEFAULT_PORT } from '../protocol/index.js'
import type { DiscoveryOptions } from '../discovery/discovery.js'
import { peersFrom } from '../discovery/static-peers.js'
import { durationFlag } from './values.js'

/** The discovery switches; the daemon uses the same two to decide what it announces. */
export const discoveryToggles = {
  mdns: Flags.boolean({ description: 'use mDNS (_distw._tcp); --no-mdns: do not', default: true, allowNo: true }),
  broadcast: Flags.boolean({ description: 'use UDP broadcast probes; --no-broadcast: do not', default: true, allowNo: true }),
}

export const connectionFlags = {
  'secret-file': Flags.string({
    description: "file holding the shared secret the nodes use (default: $DISTW_SECRET, else the pool's, from `distw pool join CODE`)",
  }),
  insecure: Flags.boolean({
    description: 'speak plain WebSocket (no TLS) to nodes started with --insecure: for debugging, nothing is encrypted',
    default: false,
  }),
  peer: Flags.string({
    description: 'node to use, HOST:PORT (repeatable; default: $DISTW_PEERS); none: nodes found on the LAN',
    multiple: true,
    multipleNonGreedy: true,
  }),
  wait: durationFlag({
    description: 'how long to listen for nodes before starting, at most (submit starts 250 ms after the last answer), e.g. 500ms, 2s',
    env: 'DISTW_WAIT',
  }),
  ...discoveryToggles,
  'probe-port': Flags.integer({ description: 'port that broadcast probes go to', default: DEFAULT_PORT, min: 1, max: 65535 }),
}

interface ConnectionFlagValues {
  peer?: string[] | undefined
  wait: number | undefined
  mdns: boolean
  broadcast: boolean
  'probe-port': number
}

/** Parsed connection flags: static peers, the discovery window in ms, and the discovery options. */
export function connectionOptions(flags: ConnectionFlagValues, defaultWaitMs: number) {
  const waitMs = flags.wait ?? defaultWaitMs
  const peers = peersFrom(flags.peer ?? [])
  const discovery: DiscoveryOptions = { mdns: flags.mdns, broadcast: flags.broadcast, port: flags['probe-port'], peers }
  return { peers, waitMs, discovery }
}
