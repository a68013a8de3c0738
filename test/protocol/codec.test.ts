// The codec on raw bytes: every bad frame is a typed ProtocolError, never a crash or a hang. Batches
// (protocol 5): several messages in one frame, each checked exactly as a frame of its own; any bad one,
// a batch too long or too short, or a batch inside a batch refuses the whole frame.
import { Packr } from 'msgpackr'
import { describe, expect, it } from 'vitest'
import {
  decodeFrame,
  decodeFrames,
  encodeFrame,
  joinFrames,
  MAX_FRAME_BYTES,
  MAX_MESSAGES_PER_FRAME,
  PROTOCOL_VERSION,
  ProtocolError,
  type ErrorCode,
  type Message,
} from '../../src/protocol/index.js'
import { arrayBytes, protoKeyFrame } from '../helpers/hostile-bytes.js'

const raw = new Packr({ useRecords: false })

const cancel = (task: string): Buffer => encodeFrame({ type: 'cancel', task })

function codeOf(frame: Uint8Array): ErrorCode | 'ok' {
  try {
    decodeFrames(frame)
    return 'ok'
  } catch (error) {
    expect(error).toBeInstanceOf(ProtocolError)
    return (error as ProtocolError).code
  }
}

describe('codec', () => {
  it('round-trips a message with binary data as a raw Buffer', () => {
    const data = Buffer.from([0, 1, 2, 255])
    const frame = encodeFrame({ type: 'output', task: 't1', stream: 'stdout', data })
    const message = decodeFrame(frame)
    expect(message).toEqual({ v: PROTOCOL_VERSION, type: 'output', task: 't1', stream: 'stdout', data })
    // Binary travels as msgpack bin, not base64: the frame is barely larger than the payload.
    const big = encodeFrame({ type: 'output', task: 't1', stream: 'stdout', data: Buffer.alloc(100_000) })
    expect(big.length).toBeLessThan(100_100)
  })

  it('rejects garbage, truncated frames and non-map values', () => {
    expect(codeOf(Buffer.from('not msgpack at all'))).toBe('DISTW_ERR_BAD_FRAME')
    const frame = encodeFrame({ type: 'cancel', task: 'x' })
    expect(codeOf(frame.subarray(0, frame.length - 2))).toBe('DISTW_ERR_BAD_FRAME')
    expect(codeOf(raw.pack([1, 2, 3]))).toBe('DISTW_ERR_BAD_FRAME')
    expect(codeOf(raw.pack('hello'))).toBe('DISTW_ERR_BAD_FRAME')
    expect(codeOf(Buffer.alloc(0))).toBe('DISTW_ERR_BAD_FRAME')
  })

  it('rejects hostile length prefixes and deep nesting without crashing', () => {
    expect(codeOf(Buffer.from([0xdd, 0xff, 0xff, 0xff, 0xff, 0x01]))).toBe('DISTW_ERR_BAD_FRAME') // array32 of 4G items
    expect(codeOf(Buffer.from([0xdf, 0xff, 0xff, 0xff, 0xff, 0x01]))).toBe('DISTW_ERR_BAD_FRAME') // map32
    expect(codeOf(Buffer.from([0xc6, 0xff, 0xff, 0xff, 0xff, 0x01]))).toBe('DISTW_ERR_BAD_FRAME') // bin32
    expect(codeOf(Buffer.alloc(1_000_000, 0x91))).toBe('DISTW_ERR_BAD_FRAME') // a million nested arrays
  })

  it('rejects unknown types, wrong versions, unknown fields and wrong field types', () => {
    expect(codeOf(raw.pack({ v: PROTOCOL_VERSION, type: 'launch-missiles' }))).toBe('DISTW_ERR_UNKNOWN_TYPE')
    expect(codeOf(raw.pack({ v: 99, type: 'cancel', task: 'x' }))).toBe('DISTW_ERR_VERSION_MISMATCH')
    expect(codeOf(raw.pack({ type: 'cancel', task: 'x' }))).toBe('DISTW_ERR_VERSION_MISMATCH')
    expect(codeOf(raw.pack({ v: PROTOCOL_VERSION, type: 'cancel', task: 'x', extra: 1 }))).toBe('DISTW_ERR_BAD_FRAME')
    expect(codeOf(raw.pack({ v: PROTOCOL_VERSION, type: 'cancel', task: 42 }))).toBe('DISTW_ERR_BAD_FRAME')
    expect(codeOf(raw.pack({ v: PROTOCOL_VERSION, type: 'blob', digest: 'zz', offset: 0, data: Buffer.alloc(1), final: true }))).toBe(
      'DISTW_ERR_BAD_FRAME',
    )
  })

  it('does not let a __proto__ key pollute anything', () => {
    const header = Buffer.from([0x83])
    const frame = Buffer.concat([
      header,
      raw.pack('v'),
      raw.pack(PROTOCOL_VERSION),
      raw.pack('type'),
      raw.pack('cancel'),
      raw.pack('__proto__'),
      raw.pack({ task: 'x', polluted: true }),
    ])
    expect(codeOf(frame)).toBe('DISTW_ERR_BAD_FRAME')
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })

  it('refuses a nested __proto__ key, and only a key: a chunk or string holding the name decodes', () => {
    const env = Buffer.concat([Buffer.from([0x81]), raw.pack('__proto__'), raw.pack('x')])
    const frame = Buffer.concat([Buffer.from([0x82]), raw.pack('v'), raw.pack(PROTOCOL_VERSION), raw.pack('nested'), env])
    expect(codeOf(frame)).toBe('DISTW_ERR_BAD_FRAME')
    const data = Buffer.from('..__proto__..')
    const chunk = decodeFrame(encodeFrame({ type: 'output', task: '__proto__', stream: 'stdout', data }))
    expect(chunk).toMatchObject({ type: 'output', task: '__proto__', data })
  })

  it('refuses oversize frames both ways', () => {
    expect(codeOf(Buffer.alloc(MAX_FRAME_BYTES + 1))).toBe('DISTW_ERR_FRAME_TOO_LARGE')
    expect(() => encodeFrame({ type: 'output', task: 't', stream: 'stdout', data: Buffer.alloc(MAX_FRAME_BYTES) })).toThrow(ProtocolError)
  })
})

describe('batches', () => {
  it('round-trip in order, the bytes being a msgpack array of the messages', () => {
    const exit = encodeFrame({
      type: 'exit',
      task: 'a',
      exitCode: 0,
      signal: null,
      durationMs: 1,
      timedOut: false,
      deleted: [],
      skipped: [],
    })
    const messages = decodeFrames(joinFrames([exit, cancel('b'), encodeFrame({ type: 'release', lease: 'l' })]))
    expect(messages.map((m: Message) => m.type)).toEqual(['exit', 'cancel', 'release'])
    expect(messages[1]).toEqual({ v: PROTOCOL_VERSION, type: 'cancel', task: 'b' })
    const longest = Array.from({ length: MAX_MESSAGES_PER_FRAME }, (_, i) => cancel(String(i)))
    const frame = joinFrames(longest)
    expect(raw.unpack(frame)).toHaveLength(MAX_MESSAGES_PER_FRAME)
    expect(decodeFrames(frame).map((m) => (m as { task: string }).task)).toEqual(longest.map((_, i) => String(i)))
    // Room before the batch (for a WebSocket header) leaves the batch's bytes as they are.
    expect(joinFrames(longest, 14).subarray(14).equals(frame)).toBe(true)
    // A lone message stays a map, as in protocol 4, so a peer of another version reads its `v`.
    expect(decodeFrames(cancel('x'))).toEqual([{ v: PROTOCOL_VERSION, type: 'cancel', task: 'x' }])
  })

  it('refuses the whole frame for one bad message, whatever its place, with its code', () => {
    const good = cancel('ok')
    const bad: [Buffer, ErrorCode][] = [
      [raw.pack({ v: PROTOCOL_VERSION, type: 'cancel', task: 'x', extra: 1 }), 'DISTW_ERR_BAD_FRAME'],
      [raw.pack({ v: PROTOCOL_VERSION, type: 'cancel', task: 42 }), 'DISTW_ERR_BAD_FRAME'],
      [raw.pack({ v: 4, type: 'cancel', task: 'x' }), 'DISTW_ERR_VERSION_MISMATCH'],
      [raw.pack({ v: PROTOCOL_VERSION, type: 'launch-missiles' }), 'DISTW_ERR_UNKNOWN_TYPE'],
      [raw.pack('not a map'), 'DISTW_ERR_BAD_FRAME'],
      [raw.pack(null), 'DISTW_ERR_BAD_FRAME'],
      // A run the hand check (fast-check.ts) would not take, so zod judges it inside a batch too.
      [
        raw.pack({
          v: PROTOCOL_VERSION,
          type: 'run',
          lease: 'l',
          task: 't',
          name: 'n',
          command: { shell: '' },
          env: {},
          files: [],
          outputs: [],
        }),
        'DISTW_ERR_BAD_FRAME',
      ],
    ]
    for (const [message, code] of bad) {
      expect(codeOf(arrayBytes([message, good]))).toBe(code)
      expect(codeOf(arrayBytes([good, good, message]))).toBe(code)
    }
    expect(() => decodeFrames(arrayBytes([good, raw.pack({ v: PROTOCOL_VERSION, type: 'cancel' })]))).toThrow(
      /^message 2 of the batch: bad cancel message at task/,
    )
  })

  it('refuses batches too long, too short, nested, and a __proto__ key inside one', () => {
    const over = Array.from({ length: MAX_MESSAGES_PER_FRAME + 1 }, (_, i) => cancel(String(i)))
    expect(codeOf(arrayBytes(over))).toBe('DISTW_ERR_BAD_FRAME')
    expect(() => joinFrames(over)).toThrow(RangeError)
    expect(codeOf(raw.pack([]))).toBe('DISTW_ERR_BAD_FRAME')
    expect(codeOf(arrayBytes([cancel('alone')]))).toBe('DISTW_ERR_BAD_FRAME')
    expect(codeOf(arrayBytes([cancel('a'), joinFrames([cancel('b'), cancel('c')])]))).toBe('DISTW_ERR_BAD_FRAME')
    expect(codeOf(arrayBytes([cancel('a'), arrayBytes([cancel('b')])]))).toBe('DISTW_ERR_BAD_FRAME')
    // An array32 header claiming 4G messages, and a million nested arrays: refused, no crash.
    expect(codeOf(Buffer.from([0xdd, 0xff, 0xff, 0xff, 0xff, 0x81]))).toBe('DISTW_ERR_BAD_FRAME')
    expect(codeOf(Buffer.alloc(1_000_000, 0x92))).toBe('DISTW_ERR_BAD_FRAME')
    expect(codeOf(arrayBytes([cancel('a'), protoKeyFrame()]))).toBe('DISTW_ERR_BAD_FRAME')
    expect(({} as Record<string, unknown>).task).toBeUndefined()
  })

  it('bounds a batch by the frame size, and decodeFrame takes one message only', () => {
    const big = encodeFrame({ type: 'output', task: 't', stream: 'stdout', data: Buffer.alloc(MAX_FRAME_BYTES / 2) })
    expect(() => joinFrames([big, big])).toThrow(ProtocolError)
    expect(() => decodeFrame(joinFrames([cancel('a'), cancel('b')]))).toThrow(ProtocolError)
  })
})
