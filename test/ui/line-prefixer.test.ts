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

  it('reports when the writer asks to slow down', () => {
    const p = new LinePrefixer('', () => false)
    expect(p.push(Buffer.from('line\n'))).toBe(false)
  })
})
