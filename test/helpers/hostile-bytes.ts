// Raw frame bytes that no encoder here would make, for the tests that must send them: a map with a
// `__proto__` key, and an array of any items (joinFrames refuses too few, too many, or nested ones).
import { Packr } from 'msgpackr'
import { PROTOCOL_VERSION } from '../../src/protocol/index.js'

const raw = new Packr({ useRecords: false })

/** A `cancel` whose map also holds the key `__proto__` (msgpackr alone would rename it). */
export function protoKeyFrame(): Buffer {
  return Buffer.concat([
    Buffer.from([0x83]),
    raw.pack('v'),
    raw.pack(PROTOCOL_VERSION),
    raw.pack('type'),
    raw.pack('cancel'),
    raw.pack('__proto__'),
    raw.pack({ task: 'x' }),
  ])
}

/** A msgpack array header, then the given bytes as they are. */
export function arrayBytes(items: Buffer[]): Buffer {
  const n = items.length
  const header = n < 16 ? Buffer.from([0x90 | n]) : Buffer.from([0xdc, n >> 8, n & 0xff])
  return Buffer.concat([header, ...items])
}
