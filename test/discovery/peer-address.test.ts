// What users write for a node (--peer, DISTW_PEERS) → a WebSocket URL, or a usage error saying what
// to write; never a URL that fails later.
import { describe, expect, it } from 'vitest'
import { UserError } from '../../src/errors.js'
import { peerUrl } from '../../src/discovery/peer-address.js'
import { distw } from '../helpers/cli.js'

describe('peer addresses', () => {
  it('accepts HOST, HOST:PORT, [IPv6]:PORT and ws:// URLs', () => {
    expect(peerUrl('lab-3')).toBe('ws://lab-3:7420')
    expect(peerUrl(' 192.168.1.20:7000 ')).toBe('ws://192.168.1.20:7000')
    expect(peerUrl('[fe80::1]:7421')).toBe('ws://[fe80::1]:7421')
    expect(peerUrl('ws://lab-3:9000')).toBe('ws://lab-3:9000')
  })

  it('refuses what is no address, as a usage error', () => {
    for (const bad of ['a b', 'host:99999', 'host:abc', 'host:0', '', 'ws://a b:1', 'a/b', '[::1']) {
      expect(() => peerUrl(bad), bad).toThrow(UserError)
    }
  })

  it('distw submit --peer "a b" exits 2 with the usage message, no stack trace', async () => {
    const run = await distw(['submit', '--peer', 'a b', '-'], { input: 'echo hi\n' })
    expect(run.exitCode).toBe(2)
    expect(run.stderr).toContain('distw: bad peer address "a b"')
    expect(run.stderr).not.toContain('SyntaxError')
  })
})
