// Static peers (--peer HOST:PORT, DISTW_PEERS): the same nodes, named instead of found. They are probed
// by unicast UDP so that `distw peers` can show what they offer.
import { lookup } from 'node:dns/promises'
import { UserError } from '../errors.js'
import { peerUrl } from './peer-address.js'

export interface StaticTarget {
  text: string
  host: string
  port: number
}

export function staticTargets(peers: string[]): StaticTarget[] {
  return peers.map((text) => {
    const url = new URL(peerUrl(text))
    const host = url.hostname.replace(/^\[|\]$/g, '')
    if (host.includes(':'))
      throw new UserError(`peer ${text}: discovery probes IPv4 only`, 'name the node by an IPv4 address or a host name')
    return { text, host, port: Number(url.port) }
  })
}

/** Peers from --peer flags, else from DISTW_PEERS (comma- or space-separated). */
export function peersFrom(flags: string[], env = process.env.DISTW_PEERS): string[] {
  if (flags.length > 0) return flags
  return (env ?? '').split(/[\s,]+/).filter((p) => p.length > 0)
}

/** Host names resolved to IPv4 addresses, so that an answer's source address matches its peer. */
export async function resolveTargets(targets: StaticTarget[]): Promise<StaticTarget[]> {
  return Promise.all(
    targets.map(async (t) => {
      const resolved = await lookup(t.host, { family: 4 }).catch(() => undefined)
      return { ...t, host: resolved?.address ?? t.host }
    }),
  )
}
