// What discovery puts on the wire: the UDP probe/answer datagrams and the mDNS TXT record. Both come
// from anyone on the LAN, so both are validated here, with size bounds, before anything reads them.
import { z } from 'zod'
import { PROTOCOL_VERSION } from './limits.js'
import { NodeInfo } from './messages.js'

/** The mDNS service type: `_distw._tcp`. */
export const MDNS_SERVICE_TYPE = 'distw'

/** A datagram larger than this is dropped unread (an answer with 256 tags of 256 characters still fits). */
export const MAX_DATAGRAM_BYTES = 8192

const port = z.int().min(1).max(65535)
/** The pool id (`poolId`): absent for a node without a secret. */
const pool = z.string().regex(/^[0-9a-f]{8}$/)
const free = z.int().min(0).max(4096)

/** Sent by a submitter (to each broadcast address, or to a static peer): "which distw nodes are there?". */
export const DiscoveryProbe = z.strictObject({ distw: z.literal('probe'), v: z.literal(PROTOCOL_VERSION) })
/** A node's reply, sent back to the prober's address and port. */
export const DiscoveryAnswer = z.strictObject({
  distw: z.literal('here'),
  v: z.literal(PROTOCOL_VERSION),
  node: NodeInfo,
  port,
  free,
  pool: pool.optional(),
})
export const Datagram = z.discriminatedUnion('distw', [DiscoveryProbe, DiscoveryAnswer])
export type Datagram = z.infer<typeof Datagram>
export type DiscoveryAnswer = z.infer<typeof DiscoveryAnswer>

/** JSON, one object a datagram: small, and readable with tcpdump. */
export function encodeDatagram(datagram: Datagram): Buffer {
  return Buffer.from(JSON.stringify(datagram))
}

/** The datagram, or a reason it was dropped. Never throws: a bad datagram is a warning, not a crash. */
export function decodeDatagram(bytes: Buffer): { ok: true; datagram: Datagram } | { ok: false; reason: string } {
  if (bytes.length > MAX_DATAGRAM_BYTES) return { ok: false, reason: `datagram of ${bytes.length} bytes is too large` }
  let value: unknown
  try {
    value = JSON.parse(bytes.toString('utf8'))
  } catch {
    return { ok: false, reason: 'datagram is not JSON' }
  }
  const parsed = Datagram.safeParse(value)
  return parsed.success
    ? { ok: true, datagram: parsed.data }
    : { ok: false, reason: z.prettifyError(parsed.error).split('\n')[0] ?? 'invalid' }
}

/** The TXT record of `_distw._tcp`: every value a string (DNS TXT holds strings); tags comma-separated. */
export function encodeTxt(node: NodeInfo, tcpPort: number, freeSlots: number, poolId?: string): Record<string, string> {
  return {
    ...(poolId === undefined ? {} : { pool: poolId }),
    id: node.id,
    v: String(PROTOCOL_VERSION),
    name: node.name,
    ver: node.version,
    port: String(tcpPort),
    slots: String(node.slots),
    free: String(freeSlots),
    os: node.os,
    arch: node.arch,
    tags: node.tags.join(','),
  }
}

const txtNumber = z.string().max(10).regex(/^\d+$/).transform(Number)
const TxtRecord = z.object({
  id: z.string(),
  v: z.literal(String(PROTOCOL_VERSION)),
  name: z.string(),
  ver: z.string(),
  port: txtNumber,
  slots: txtNumber,
  free: txtNumber,
  os: z.string(),
  arch: z.string(),
  tags: z
    .string()
    .max(256 * 257)
    .optional(),
  pool: pool.optional(),
})

/** A TXT record read back into the answer shape; a reason when it is not a distw record of this version. */
export function decodeTxt(txt: unknown): { ok: true; answer: DiscoveryAnswer } | { ok: false; reason: string } {
  const record = TxtRecord.safeParse(txt)
  if (!record.success) return { ok: false, reason: `bad TXT record: ${z.prettifyError(record.error).split('\n')[0] ?? ''}` }
  const r = record.data
  const tags = r.tags ? r.tags.split(',').filter((t) => t.length > 0) : []
  const answer = DiscoveryAnswer.safeParse({
    distw: 'here',
    v: PROTOCOL_VERSION,
    node: { id: r.id, name: r.name, version: r.ver, os: r.os, arch: r.arch, slots: r.slots, tags },
    port: r.port,
    free: r.free,
    ...(r.pool === undefined ? {} : { pool: r.pool }),
  })
  return answer.success
    ? { ok: true, answer: answer.data }
    : { ok: false, reason: `bad TXT record: ${z.prettifyError(answer.error).split('\n')[0] ?? ''}` }
}
