// The join code: round trips, and every single typo is caught with its group named.
import { describe, expect, it } from 'vitest'
import { decodeJoinCode, encodeJoinCode, newJoinCode } from '../../src/pool/join-code.js'
import { defaultSecretPath } from '../../src/pool/secret-path.js'

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'

describe('join code', () => {
  it('round-trips 128 bits, in lower case and with O/I/L read as 0/1/1', () => {
    const secret = Buffer.from('00ff00ff00ff00ff00ff00ff00ff00ff', 'hex')
    const code = encodeJoinCode(secret)
    expect(code).toMatch(/^distw-([0-9A-HJKMNP-TV-Z]{5}-){6}[0-9A-HJKMNP-TV-Z]{5}$/)
    expect(decodeJoinCode(code).secret).toEqual(secret)
    expect(decodeJoinCode(`  ${code.toLowerCase()} `).code).toBe(code)
    const fresh = newJoinCode()
    expect(decodeJoinCode(fresh.replaceAll('0', 'O').replaceAll('1', 'l')).code).toBe(fresh)
  })

  it('names the group of any single mistyped character', () => {
    const code = newJoinCode()
    const body = code.slice('distw-'.length)
    for (let i = 0; i < body.length; i++) {
      if (body[i] === '-') continue
      const group = Math.floor(i / 6) + 1
      for (const c of ALPHABET) {
        if (c === body[i]) continue
        const typo = `distw-${body.slice(0, i)}${c}${body.slice(i + 1)}`
        expect(() => decodeJoinCode(typo)).toThrow(new RegExp(`^group ${group} \\(`))
      }
    }
  })

  it('catches swapped groups, swapped neighbours, a missing group and a character not in the alphabet', () => {
    const code = newJoinCode()
    const groups = code.slice(6).split('-')
    const swapped = [groups[1], groups[0], ...groups.slice(2)].join('-')
    expect(() => decodeJoinCode(`distw-${swapped}`)).toThrow(/group 1 .* typo/)
    expect(() => decodeJoinCode(`distw-${groups.slice(1).join('-')}`)).toThrow(/has 6/)
    expect(() => decodeJoinCode(code.replace(/-(.)/, '-U'))).toThrow(/"U" is not a join-code character/)
    let caught = 0
    for (let i = 0; i < 4; i++) {
      const g = groups[0] as string
      if (g[i] === g[i + 1]) continue
      const typo = `${g.slice(0, i)}${g[i + 1]}${g[i]}${g.slice(i + 2)}`
      try {
        decodeJoinCode(`distw-${[typo, ...groups.slice(1)].join('-')}`)
      } catch {
        caught++
      }
    }
    expect(caught).toBeGreaterThan(0)
  })

  it("lives in the platform's per-user config place", () => {
    expect(defaultSecretPath({ XDG_CONFIG_HOME: '/x' }, 'linux', '/home/a')).toBe('/x/distw/secret')
    expect(defaultSecretPath({}, 'linux', '/home/a')).toBe('/home/a/.config/distw/secret')
    expect(defaultSecretPath({}, 'darwin', '/Users/a')).toBe('/Users/a/Library/Application Support/distw/secret')
    expect(defaultSecretPath({ APPDATA: 'C:\\Users\\a\\AppData\\Roaming' }, 'win32', 'C:\\Users\\a')).toBe(
      'C:\\Users\\a\\AppData\\Roaming\\distw\\secret',
    )
  })
})
