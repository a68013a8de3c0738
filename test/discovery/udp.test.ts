// The UDP probe/answer on loopback, against a real in-process node: static peers are probed by
// unicast, a node answers with what it offers, and junk datagrams are dropped without harm.
import dgram from 'node:dgram'
import { afterEach, describe, expect, it } from 'vitest'
import { startDaemon, type RunningDaemon } from '../../src/daemon/daemon.js'
import { Discovery } from '../../src/discovery/discovery.js'
import { broadcastAddresses } from '../../src/discovery/broadcast-addresses.js'
import { mdnsSocketOptions, usableInterfaces } from '../../src/discovery/interfaces.js'
import { decodeDatagram, decodeTxt, encodeTxt, MAX_DATAGRAM_BYTES } from '../../src/protocol/index.js'

const open: { close(): Promise<void> }[] = []
afterEach(async () => {
  for (const thing of open.splice(0).reverse()) await thing.close()
})

// A node that answers probes (no mDNS: parallel tests must not see each other).
async function node(tags: string[] = []): Promise<RunningDaemon> {
  const d = await startDaemon({ port: 0, slots: 3, name: 'udp-node', tags, announce: { mdns: false, broadcast: true } })
  open.push(d)
  return d
}

// Sends raw bytes to a UDP port from a throwaway socket.
async function sendRaw(port: number, bytes: Buffer): Promise<void> {
  const socket = dgram.createSocket('udp4')
  await new Promise<void>((resolve, reject) => socket.send(bytes, port, '127.0.0.1', (e) => (e ? reject(e) : resolve())))
  socket.close()
}

describe('UDP discovery', () => {
  it('finds a static peer named by host name by unicast probe, with its capabilities, once', async () => {
    const d = await node(['gpu'])
    const discovery = await Discovery.start({ mdns: false, broadcast: false, peers: [`localhost:${d.port}`], intervalMs: 100 })
    open.push(discovery)
    const added: string[] = []
    discovery.on('add', (n) => added.push(n.info.id))
    const found = await waitUntil(
      () => discovery.nodes(),
      (nodes) => nodes.length > 0,
    )
    await discovery.settle(400) // several more probe rounds: still one node, one add
    expect(added).toEqual([d.info.id])
    expect(found[0]).toMatchObject({ address: '127.0.0.1', port: d.port, free: 3, via: ['static'], url: `ws://127.0.0.1:${d.port}` })
    expect(found[0]?.info).toEqual(d.info)
    expect(discovery.silentPeers()).toEqual([])
  })

  it('drops junk datagrams with a warning and keeps answering', async () => {
    const d = await node()
    const junk = [
      Buffer.from('not json'),
      Buffer.from('{"distw":"probe","v":99}'),
      Buffer.from('{"distw":"here"}'),
      Buffer.alloc(MAX_DATAGRAM_BYTES + 1, 0x20),
    ]
    for (const bytes of junk) await sendRaw(d.port, bytes)
    const discovery = await Discovery.start({ mdns: false, broadcast: false, peers: [`127.0.0.1:${d.port}`], intervalMs: 100 })
    open.push(discovery)
    await waitUntil(
      () => discovery.nodes(),
      (nodes) => nodes.length === 1,
    )
    // And the discovery side survives junk sent to its own socket.
    const warnings: string[] = []
    discovery.on('warning', (w) => warnings.push(w))
    const port = (discovery as unknown as { udp: dgram.Socket }).udp.address().port
    await sendRaw(port, Buffer.from('{"distw":"here","v":5,"node":{"id":"x"}}'))
    await waitUntil(
      () => warnings,
      (w) => w.length > 0,
    )
    expect(warnings[0]).toMatch(/dropped a datagram from 127\.0\.0\.1/)
    expect(discovery.nodes()).toHaveLength(1)
  })

  it('removes a node that stops answering within staleMs', async () => {
    const d = await node()
    const discovery = await Discovery.start({
      mdns: false,
      broadcast: false,
      peers: [`127.0.0.1:${d.port}`],
      intervalMs: 100,
      staleMs: 400,
    })
    open.push(discovery)
    await waitUntil(
      () => discovery.nodes(),
      (nodes) => nodes.length === 1,
    )
    const removed = new Promise<string>((resolve) => discovery.on('remove', (_n, reason) => resolve(reason)))
    await d.close()
    open.splice(open.indexOf(d), 1)
    expect(await removed).toMatch(/no answer for \d+ ms/)
  })

  it('encodes and decodes the datagram and TXT shapes, refusing bad ones', () => {
    const info = { id: 'abc', name: 'n', version: '1', os: 'linux', arch: 'x64', slots: 4, tags: ['a', 'b'] }
    const txt = encodeTxt(info, 7420, 2)
    expect(decodeTxt(txt)).toEqual({ ok: true, answer: { distw: 'here', v: 5, node: info, port: 7420, free: 2 } })
    expect(decodeTxt({ ...txt, port: '99999' }).ok).toBe(false)
    expect(decodeTxt({ ...txt, v: '1' }).ok).toBe(false)
    expect(decodeTxt('nonsense').ok).toBe(false)
    expect(decodeDatagram(Buffer.from('{"distw":"probe","v":5,"extra":1}')).ok).toBe(false)
    expect(
      broadcastAddresses({ lo: [{ address: '127.0.0.1', netmask: '255.0.0.0', family: 'IPv4', mac: '', internal: true, cidr: null }] }),
    ).toEqual(['127.255.255.255'])
  })
})

// Polls until `ok(value)` (discovery is event-driven, but polling keeps the test free of fixed sleeps).
async function waitUntil<T>(get: () => T, ok: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = get()
    if (ok(value)) return value
    if (Date.now() > deadline) throw new Error(`condition not met in ${timeoutMs} ms: ${JSON.stringify(value)}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

describe('DISTW_INTERFACES', () => {
  const lo = { address: '127.0.0.1', netmask: '255.0.0.0', family: 'IPv4', mac: '', internal: true, cidr: null } as const
  const eth = { address: '192.0.2.2', netmask: '255.255.255.0', family: 'IPv4', mac: '', internal: false, cidr: null } as const
  it('limits broadcast probes to the named interfaces; unset or empty means all', () => {
    const all = { lo: [lo], eth0: [eth] }
    expect(broadcastAddresses(usableInterfaces(all, { DISTW_INTERFACES: 'lo' }))).toEqual(['127.255.255.255'])
    expect(broadcastAddresses(usableInterfaces(all, { DISTW_INTERFACES: ' eth0 , lo ' }))).toEqual(['127.255.255.255', '192.0.2.255'])
    expect(broadcastAddresses(usableInterfaces(all, { DISTW_INTERFACES: '' }))).toEqual(['127.255.255.255', '192.0.2.255'])
    expect(broadcastAddresses(usableInterfaces(all, {}))).toEqual(['127.255.255.255', '192.0.2.255'])
  })
  it('is set to loopback for the test suite, so no test probes the machine’s real network', () => {
    expect(process.env['DISTW_INTERFACES']).toBe('lo')
    expect(mdnsSocketOptions()).toEqual({ interface: '127.0.0.1', bind: '0.0.0.0' })
  })
})
