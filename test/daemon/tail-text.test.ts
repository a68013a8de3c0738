// `distw top` shows the end of a task's output: cut from the front at a byte count, it must not
// begin with the remains of a character.
import { describe, expect, it } from 'vitest'
import { tailText } from '../../src/daemon/monitor/node-state.js'

describe('tailText', () => {
  it('drops the continuation bytes of a character cut at the front', () => {
    const bytes = Buffer.from('☃☃ok')
    expect(tailText(bytes.subarray(1))).toBe('☃ok')
    expect(tailText(bytes.subarray(2))).toBe('☃ok')
    expect(tailText(bytes.subarray(3))).toBe('☃ok')
  })

  it('keeps plain text and invalid bytes elsewhere as they are', () => {
    expect(tailText(Buffer.from('plain\n'))).toBe('plain\n')
    expect(tailText(Buffer.from([0x61, 0x80, 0x62]))).toBe('a\ufffdb')
    expect(tailText(Buffer.alloc(0))).toBe('')
  })
})
