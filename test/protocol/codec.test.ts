// The codec on raw bytes: every bad frame is a typed ProtocolError, never a crash or a hang.
import { Packr } from 'msgpackr'
import { describe, expect, it } from 'vitest'
import { decodeFrame, encodeFrame, MAX_FRAME_BYTES, PROTOCOL_VERSION, ProtocolError, type ErrorCode } from '../../src/protocol/index.js'

const raw = new Packr({ useRecords: false })

function codeOf(frame: Uint8Array): ErrorCode | 'ok' {
  try {
    decodeFrame(frame)
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
