// Output lines from tasks are prefixed whole; a line without an end must not grow without bound, and
// a multi-byte character split across chunks must come out whole.
import { describe, expect, it } from 'vitest'
import { LinePrefixer } from '../../src/ui/line-prefixer.js'

describe('LinePrefixer', () => {
  it('emits whole lines, keeps characters split across chunks intact', () => {
    const out: string[] = []
    const p = new LinePrefixer('[t] ', (text) => void out.push(text))
    const snow = Buffer.from('a☃b\n')
    p.push(snow.subarray(0, 2))
    p.push(snow.subarray(2))
    p.push(Buffer.from('tail'))
    p.flush()
    expect(out.join('')).toBe('[t] a☃b\n[t] tail\n')
  })

  it('breaks a line that never ends instead of holding it all', () => {
    const out: string[] = []
    const p = new LinePrefixer('', (text) => void out.push(text))
    for (let i = 0; i < 40; i++) p.push(Buffer.alloc(16 * 1024, 'x'))
    expect(out.length).toBeGreaterThan(0)
    expect(Math.max(...out.map((t) => t.length))).toBeLessThan(100 * 1024)
    p.flush()
    expect(out.join('').replaceAll('\n', '').length).toBe(40 * 16 * 1024)
  })

  it('breaks a long line of multi-byte characters between characters, never inside one', () => {
    const out: string[] = []
    const p = new LinePrefixer('', (text) => void out.push(text))
    // 3-byte characters in chunks of 10,000 bytes: most chunks end inside a character.
    const text = Buffer.from('☃'.repeat(100_000))
    for (let at = 0; at < text.length; at += 10_000) p.push(text.subarray(at, at + 10_000))
    p.flush()
    expect(out.length).toBeGreaterThan(1)
    expect(out.join('').replaceAll('\n', '')).toBe('☃'.repeat(100_000))
  })

  it('reports when the writer asks to slow down', () => {
    const p = new LinePrefixer('', () => false)
    expect(p.push(Buffer.from('line\n'))).toBe(false)
  })
})
