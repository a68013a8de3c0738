// Pools do not mix: a node's probe answer and TXT record carry its pool id (never the secret), and
// discovery keeps only the nodes of its own pool, counting the others.
import { afterEach, describe, expect, it } from 'vitest'
import { startDaemon } from '../../src/daemon/daemon.js'
import { Discovery, poolDiscovery } from '../../src/discovery/discovery.js'
import { decodeTxt, encodeTxt, poolId } from '../../src/protocol/index.js'

const open: { close(): Promise<void> }[] = []
afterEach(async () => {
  for (const thing of open.splice(0).reverse()) await thing.close()
})

const A = Buffer.from('distw-pool-a-secret-0123456789ab')
const B = Buffer.from('distw-pool-b-secret-0123456789ab')

async function node(name: string, secret?: Buffer) {
  const d = await startDaemon({ port: 0, slots: 1, name, announce: { mdns: false, broadcast: true }, ...(secret ? { secret } : {}) })
  open.push(d)
  return d
}

describe('pools in discovery', () => {
  it('keeps the nodes of its own pool (or of none) and counts the others', async () => {
    const [a, b, none] = [await node('a', A), await node('b', B), await node('none')]
    const peers = [a, b, none].map((d) => `127.0.0.1:${d.port}`)
    for (const [secret, expected] of [
      [A, 'a'],
      [B, 'b'],
      [undefined, 'none'],
    ] as const) {
      const discovery = await Discovery.start(poolDiscovery({ mdns: false, broadcast: false, peers, intervalMs: 100 }, secret))
      open.push(discovery)
      const found = await discovery.settle(1500)
      expect(found.map((n) => n.info.name)).toEqual([expected])
      expect(discovery.otherPools()).toBe(2)
    }
  })

  it('the TXT record carries the pool id, a short hash that is not the secret', () => {
    const info = { id: 'x', name: 'n', version: '1', os: 'linux', arch: 'x64', slots: 1, tags: [] }
    const txt = encodeTxt(info, 7420, 1, poolId(A))
    expect(txt.pool).toMatch(/^[0-9a-f]{8}$/)
    expect(JSON.stringify(txt)).not.toContain(A.toString())
    const decoded = decodeTxt(txt)
    expect(decoded.ok && decoded.answer.pool).toBe(poolId(A))
    expect(poolId(A)).not.toBe(poolId(B))
  })
})
