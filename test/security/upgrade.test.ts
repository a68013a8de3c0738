// Who may open a WebSocket at all: never a browser page (Origin header), never an address outside --allow.
import { describe, expect, it } from 'vitest'
import { AddressAllowList } from '../../src/daemon/server/address-allow.js'
import { NodeClient } from '../../src/client/node-client.js'
import { distw, tempDir } from '../helpers/cli.js'
import { node, open, stillServes } from './harness.js'

describe('WebSocket upgrade gate', () => {
  it('refuses an upgrade carrying an Origin header (a browser page must not reach the node)', async () => {
    const d = await node()
    await expect(open(d.url, { origin: 'https://evil.example' })).rejects.toThrow(/403/)
    await expect(open(d.url, { headers: { Origin: 'null' } })).rejects.toThrow(/403/)
    await stillServes(d)
  })

  it('admits only addresses inside --allow', async () => {
    const outside = await node({ allow: ['10.0.0.0/8', 'fd00::/8'] })
    await expect(open(outside.url)).rejects.toThrow(/403/)
    // The refused client is told why, not just a status code (issue 19 item 4).
    await expect(NodeClient.connect(outside.url, { client: 't' })).rejects.toThrow(
      /refused the connection: the address 127\.0\.0\.1 is not in this node's --allow list \(HTTP 403\)/,
    )
    const inside = await node({ allow: ['10.0.0.0/8', '127.0.0.0/8'] })
    await stillServes(inside)
  })

  it('distw submit shows the refused address and what to do, and ends', async () => {
    const outside = await node({ allow: ['10.0.0.0/8'] })
    const run = await distw(['submit', '-', '--peer', `127.0.0.1:${outside.port}`], { cwd: await tempDir(), input: 'true\n' })
    expect(run.exitCode).not.toBe(0)
    expect(run.stderr).toContain("is not in this node's --allow list (HTTP 403)")
    expect(run.stderr).toContain('--allow ADDRESS/CIDR')
  }, 60_000)

  it('parses CIDRs strictly and treats IPv4-mapped IPv6 as IPv4', () => {
    const list = new AddressAllowList(['192.168.1.0/24', '::1'])
    expect(list.allows('192.168.1.77')).toBe(true)
    expect(list.allows('::ffff:192.168.1.77')).toBe(true)
    expect(list.allows('192.168.2.1')).toBe(false)
    expect(list.allows('::1')).toBe(true)
    expect(list.allows(undefined)).toBe(false)
    for (const bad of ['192.168.1.0/33', 'example.com/8', '10.0.0.0/x', '']) expect(() => new AddressAllowList([bad])).toThrow(/--allow/)
    expect(new AddressAllowList([]).allows('8.8.8.8')).toBe(true)
  })
})
