// The only place where frames become messages and back. Bytes are untrusted until decodeFrame(s) returns.
import { Packr, Unpackr } from 'msgpackr'
import { ProtocolError } from './errors.js'
import { fastCheck } from './fast-check.js'
import { MAX_FRAME_BYTES, MAX_MESSAGES_PER_FRAME, PROTOCOL_VERSION } from './limits.js'
import { MESSAGE_TYPES, Message, type Outgoing } from './messages.js'

// useRecords:false keeps every frame self-describing (records would tie a decoder to earlier frames);
// mapsAsObjects gives plain objects for zod to check.
const packr = new Packr({ useRecords: false, mapsAsObjects: true, moreTypes: false, int64AsType: 'number' })

// msgpackr renames a `__proto__` map key to `__proto_` (so it cannot set a prototype), which would
// turn a hostile key into an innocent one. Such a frame is refused instead: the decoded maps are looked
// through for the renamed key (the few keys of a message, never the bytes of a chunk: searching every
// 1 MiB chunk for the name cost ~1 ms a MiB, a tenth of a receiver's CPU), and only a frame that holds
// one is decoded again, with maps as Maps, to see whether the key was `__proto__` or `__proto_` itself.
const RENAMED = '__proto_'
const asMaps = new Unpackr({ useRecords: false, mapsAsObjects: false, moreTypes: false, int64AsType: 'number' })

function hasRenamedKey(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(hasRenamedKey)
  if (typeof value !== 'object' || value === null || ArrayBuffer.isView(value)) return false
  for (const key in value) if (key === RENAMED || hasRenamedKey((value as Record<string, unknown>)[key])) return true
  return false
}

function hasProtoKey(value: unknown): boolean {
  if (value instanceof Map) {
    for (const [key, item] of value) if (key === '__proto__' || hasProtoKey(item)) return true
  } else if (Array.isArray(value)) return value.some(hasProtoKey)
  return false
}

/** Encodes a message, stamping the protocol version. */
export function encodeFrame(message: Outgoing): Buffer {
  const frame = packr.pack({ v: PROTOCOL_VERSION, ...message })
  if (frame.length > MAX_FRAME_BYTES) {
    throw new ProtocolError('DISTW_ERR_FRAME_TOO_LARGE', `frame of ${frame.length} bytes exceeds ${MAX_FRAME_BYTES}`)
  }
  return frame
}

const EMPTY = Buffer.alloc(0)
const BIN8 = 0xc4
const BIN32 = 0xc6

/**
 * Encodes a message that carries a chunk (`blob`, `file`, `output`) into `into`, its chunk at `at`, so
 * bulk senders can reuse their buffers and read a file's chunk straight into the place its frame holds
 * it (see transfer/frame-pool.ts): a chunk already there is not copied. The envelope goes just before
 * `at`; the bytes are the same as encodeFrame's but for the chunk's length prefix, always a bin32.
 * Returns a view of `into`, or undefined if the envelope does not fit before `at` or the chunk after it.
 */
export function encodeChunkFrameAt(message: Extract<Outgoing, { data: Uint8Array }>, into: Buffer, at: number): Buffer | undefined {
  const { data, ...rest } = message
  // A msgpack map keeps insertion order, so `data` is the last value: encoded empty (bin8, `c4 00`),
  // then its header is widened to a bin32 of the real length and the chunk placed after it.
  const head = packr.pack({ v: PROTOCOL_VERSION, ...rest, data: EMPTY })
  const headBytes = head.length - 2
  if (head[headBytes] !== BIN8 || head[headBytes + 1] !== 0) return undefined // not the layout above: let encodeFrame do it
  const start = at - headBytes - 5
  if (start < 0 || at + data.length > into.length || headBytes + 5 + data.length > MAX_FRAME_BYTES) return undefined
  head.copy(into, start, 0, headBytes)
  into[at - 5] = BIN32
  into.writeUInt32BE(data.length, at - 4)
  if (data.buffer !== into.buffer || data.byteOffset !== into.byteOffset + at) into.set(data, at)
  return into.subarray(start, at + data.length)
}

/**
 * Joins frames made by encodeFrame (2 to MAX_MESSAGES_PER_FRAME of them) into one: a batch, the msgpack
 * array of their maps. Each message is encoded as it is sent (so an oversized one fails its sender
 * alone, and the bytes waiting are known for backpressure); joining is one copy of a few hundred bytes.
 * `room`: bytes left free before the batch (the result's first `room` bytes), for a header there.
 */
export function joinFrames(frames: readonly Buffer[], room = 0): Buffer {
  const n = frames.length
  if (n < 2 || n > MAX_MESSAGES_PER_FRAME) throw new RangeError(`a batch holds 2 to ${MAX_MESSAGES_PER_FRAME} messages, not ${n}`)
  // fixarray up to 15 items, else array16.
  let length = n < 16 ? 1 : 3
  for (const frame of frames) length += frame.length
  if (length > MAX_FRAME_BYTES) throw new ProtocolError('DISTW_ERR_FRAME_TOO_LARGE', `batch of ${length} bytes exceeds ${MAX_FRAME_BYTES}`)
  const out = Buffer.allocUnsafe(room + length)
  let at = room
  if (n < 16) out[at++] = 0x90 | n
  else {
    out[at++] = 0xdc
    out[at++] = n >> 8
    out[at++] = n & 0xff
  }
  for (const frame of frames) at += frame.copy(out, at)
  return out
}

// Bytes to a value, refusing what cannot be a frame's content; nothing about messages yet.
function unpack(frame: Uint8Array): unknown {
  if (frame.length > MAX_FRAME_BYTES) {
    throw new ProtocolError('DISTW_ERR_FRAME_TOO_LARGE', `frame of ${frame.length} bytes exceeds ${MAX_FRAME_BYTES}`)
  }
  let value: unknown
  try {
    value = packr.unpack(frame)
  } catch (error) {
    // Truncated, garbage, hostile length prefixes and stack-exhausting nesting all land here.
    throw new ProtocolError('DISTW_ERR_BAD_FRAME', `undecodable frame: ${(error as Error).message}`)
  }
  if (typeof value !== 'object' || value === null) throw new ProtocolError('DISTW_ERR_BAD_FRAME', 'a frame must be a map')
  if (hasRenamedKey(value) && hasProtoKey(asMaps.unpack(frame))) {
    throw new ProtocolError('DISTW_ERR_BAD_FRAME', 'a map key "__proto__" is refused')
  }
  return value
}

// One decoded message, alone in its frame or inside a batch: checked the same way either way.
function checkMessage(value: unknown): Message {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ProtocolError('DISTW_ERR_BAD_FRAME', 'a message must be a map')
  }
  const record = value as Record<string, unknown>
  if (record.v !== PROTOCOL_VERSION) {
    throw new ProtocolError(
      'DISTW_ERR_VERSION_MISMATCH',
      `peer speaks protocol ${String(record.v)}, this side speaks ${PROTOCOL_VERSION}: run the same distw version on both`,
    )
  }
  if (typeof record.type !== 'string' || !MESSAGE_TYPES.has(record.type)) {
    throw new ProtocolError('DISTW_ERR_UNKNOWN_TYPE', `unknown message type ${JSON.stringify(record.type)}`)
  }
  // The messages of every task are checked by hand first (fast-check.ts); zod has the last word.
  if (fastCheck(record.type, value)) return value as Message
  const parsed = Message.safeParse(value)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    const where = issue?.path.join('.') || '(frame)'
    throw new ProtocolError('DISTW_ERR_BAD_FRAME', `bad ${record.type} message at ${where}: ${issue?.message ?? 'invalid'}`)
  }
  return parsed.data
}

/** Decodes and validates a frame of exactly one message (not a batch); every failure is a ProtocolError. */
export function decodeFrame(frame: Uint8Array): Message {
  const value = unpack(frame)
  if (Array.isArray(value)) throw new ProtocolError('DISTW_ERR_BAD_FRAME', 'a frame must be a map')
  return checkMessage(value)
}

/**
 * Decodes and validates a frame: one message (a map) or a batch (an array of 2 to MAX_MESSAGES_PER_FRAME
 * maps, each checked exactly as a frame of its own; batches do not nest). One bad message refuses the
 * whole frame, so none of it is acted on. Every failure is a ProtocolError, never anything else.
 */
export function decodeFrames(frame: Uint8Array): Message[] {
  const value = unpack(frame)
  if (!Array.isArray(value)) return [checkMessage(value)]
  const n = value.length
  if (n < 2 || n > MAX_MESSAGES_PER_FRAME) {
    throw new ProtocolError('DISTW_ERR_BAD_FRAME', `a batch holds 2 to ${MAX_MESSAGES_PER_FRAME} messages, not ${n}`)
  }
  const messages: Message[] = []
  for (let i = 0; i < n; i++) {
    try {
      messages.push(checkMessage(value[i]))
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error
      throw new ProtocolError(error.code, `message ${i + 1} of the batch: ${error.message}`)
    }
  }
  return messages
}
