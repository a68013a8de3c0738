// The lines `distw daemon` prints once it listens: where, and whether the LAN can reach it and why.
import { isLoopback } from '../../protocol/index.js'
import { poolId } from '../../protocol/index.js'
import type { RunningDaemon } from '../daemon.js'

export interface BannerFacts {
  secret: Buffer | undefined
  /** Where the pool secret came from (a file, DISTW_SECRET). */
  secretOrigin: string | undefined
  mdns: boolean
  broadcast: boolean
}

export function daemonBanner(daemon: Pick<RunningDaemon, 'info' | 'url' | 'host'>, facts: BannerFacts): string {
  const first = `distw node "${daemon.info.name}" listening on ${daemon.url} with ${daemon.info.slots} slot(s)`
  const announced = [facts.mdns ? 'mDNS' : '', facts.broadcast ? 'broadcast' : ''].filter((w) => w).join(' and ')
  const reach = isLoopback(daemon.host)
    ? 'loopback only: other machines cannot reach it'
    : `${daemon.host === '0.0.0.0' || daemon.host === '::' ? 'every address' : daemon.host}, ${announced ? `announced on the LAN by ${announced}` : 'not announced'}`
  const second =
    facts.secret === undefined
      ? `no pool: ${reach}${isLoopback(daemon.host) ? '; `distw pool new` (or `distw pool join CODE`) to serve the LAN' : ''}`
      : `pool ${poolId(facts.secret)} (secret from ${facts.secretOrigin ?? '?'}): ${reach}`
  return `${first}\n${second}\n`
}
