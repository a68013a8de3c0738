// What `distw peers` shows: a one-shot listing after a listening window, or a live feed of changes.
import { Discovery, type DiscoveredNode, type DiscoveryOptions } from '../discovery/discovery.js'

export interface PeerRow {
  id: string
  name: string
  address: string
  port: number
  version: string
  slotsUsed: number
  slotsTotal: number
  os: string
  arch: string
  tags: string[]
  via: string[]
  addresses: string[]
}

/** A node as a row of the listing (and of --json). */
export function peerRow(node: DiscoveredNode): PeerRow {
  return {
    id: node.info.id,
    name: node.info.name,
    address: node.address,
    port: node.port,
    version: node.info.version,
    slotsUsed: node.info.slots - node.free,
    slotsTotal: node.info.slots,
    os: node.info.os,
    arch: node.info.arch,
    tags: node.info.tags,
    via: node.via,
    addresses: node.addresses,
  }
}

/** What to check when discovery found no node (peers, status). */
export const NO_NODE_HINT =
  'is `distw daemon` running on a machine that ran `distw pool join CODE`? try --wait 5s, or name one with --peer HOST:PORT'

/** That discovery found no node of `pool` (or without one) in `waitMs`. */
export function noNodeFound(pool: string | undefined, waitMs: number): string {
  return `no distw node ${pool === undefined ? 'without a pool' : `of pool ${pool}`} found in ${waitMs} ms`
}

/** Listens for `waitMs`, then returns the nodes as text and as JSON. */
export async function listPeers(options: DiscoveryOptions, waitMs: number) {
  const discovery = await Discovery.start(options)
  const warnings: string[] = []
  discovery.on('warning', (w) => warnings.push(w))
  try {
    const rows = (await discovery.settle(waitMs))
      .map(peerRow)
      .sort((a, b) => a.name.localeCompare(b.name) || a.address.localeCompare(b.address))
    const silent = discovery.silentPeers()
    const otherPools = discovery.otherPools()
    const lines = rows.map(formatRow)
    for (const peer of silent) lines.push(`${peer}  (static peer: no answer)`)
    if (lines.length === 0) lines.push(`${noNodeFound(options.pool, waitMs)} (${NO_NODE_HINT})`)
    if (otherPools > 0)
      lines.push(
        `(${otherPools} node${otherPools === 1 ? '' : 's'} of ${options.pool === undefined ? 'a pool' : 'other pools or none'} heard, not listed: not usable from here)`,
      )
    return { text: lines.join('\n') + '\n', json: { nodes: rows, silentPeers: silent, otherPools, warnings } }
  } finally {
    await discovery.close()
  }
}

/** Prints a line for every add, update and remove until aborted. */
export async function watchPeers(options: DiscoveryOptions, io: { json: boolean; write: (text: string) => void; signal: AbortSignal }) {
  const discovery = await Discovery.start(options)
  const started = performance.now()
  const emit = (event: string, node: DiscoveredNode, reason?: string) => {
    const ms = Math.round(performance.now() - started)
    if (io.json) io.write(JSON.stringify({ event, ms, ...peerRow(node), ...(reason ? { reason } : {}) }) + '\n')
    else io.write(`${event.padEnd(6)} ${formatRow(peerRow(node))}${reason ? `  (${reason})` : ''}\n`)
  }
  discovery.on('add', (node) => emit('add', node))
  discovery.on('update', (node) => emit('update', node))
  discovery.on('remove', (node, reason) => emit('remove', node, reason))
  discovery.on('warning', (w) => void process.stderr.write(`distw: warning: ${w}\n`))
  try {
    await discovery.settle(2 ** 31 - 1, io.signal)
  } finally {
    await discovery.close()
  }
}

// name  address:port  version  used/total slots  os/arch  tags  via
function formatRow(r: PeerRow): string {
  const tags = r.tags.length > 0 ? `  tags: ${r.tags.join(',')}` : ''
  return `${r.name}  ${r.address}:${r.port}  v${r.version}  ${r.slotsUsed}/${r.slotsTotal} slots used  ${r.os}/${r.arch}${tags}  via ${r.via.join('+')}`
}
