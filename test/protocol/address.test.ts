// The one URL builder and the one loopback test, shared by the daemon's bind check, the announcer,
// discovery and the peer-address parser (there were three builders and two loopback tests before).
import { describe, expect, it } from 'vitest'
import { isLoopback, nodeUrl } from '../../src/protocol/index.js'

describe('node addresses', () => {
  it('builds ws://host:port, bracketing an IPv6 literal once', () => {
    expect(nodeUrl('192.168.1.20', 7420)).toBe('ws://192.168.1.20:7420')
    expect(nodeUrl('lab-3', 9000)).toBe('ws://lab-3:9000')
    expect(nodeUrl('fe80::1', 7421)).toBe('ws://[fe80::1]:7421')
    expect(nodeUrl('[::1]', 7421)).toBe('ws://[::1]:7421')
  })

  it('knows loopback in every form, IPv4-mapped included', () => {
    for (const yes of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost', 'LOCALHOST', '::ffff:127.0.0.1', '[::ffff:127.0.0.1]'])
      expect(isLoopback(yes), yes).toBe(true)
    for (const no of ['0.0.0.0', '192.168.1.2', '::ffff:192.168.1.2', '::', '127.0.0.1.example.com', '1270.0.0.1', '::ffff:127.0.0.999'])
      expect(isLoopback(no), no).toBe(false)
  })
})
