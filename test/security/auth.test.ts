// Authentication against a real daemon: nothing runs before a correct handshake, a wrong secret or a
// replayed handshake fails, failures are rate-limited, and the client checks the node's identity too.
import { describe, expect, it } from 'vitest'
import { computeProof, newNonce, proofMatches } from '../../src/protocol/index.js'
import { NodeClient } from '../../src/client/node-client.js'
import { closed, marker, nextFrame, node, open, SECRET, send, stillServes } from './harness.js'

describe('authentication', () => {
  it('closes a connection that asks to run before the handshake, and nothing runs', async () => {
    const d = await node({ secret: SECRET })
    const m = await marker()
    for (const first of ['reserve', 'run'] as const) {
      const ws = await open(d.url)
      const code = closed(ws)
      if (first === 'reserve') send(ws, { type: 'reserve', id: 1, slots: 1 })
      else
        send(ws, { type: 'run', lease: 'x', task: 't', name: 'n', command: { shell: `touch ${m.file}` }, env: {}, files: [], outputs: [] })
      expect(await code).toBe(4401)
    }
    // Even after hello, only auth is accepted.
    const ws = await open(d.url)
    const challenge = nextFrame(ws)
    send(ws, { type: 'hello', role: 'submit', client: 'x', nonce: newNonce() })
    await challenge
    const code = closed(ws)
    send(ws, { type: 'reserve', id: 1, slots: 1 })
    expect(await code).toBe(4401)
    expect(await m.ran()).toBe(false)
    await stillServes(d, SECRET)
  })

  it('refuses a wrong secret (library and raw proof) and never runs its task', async () => {
    const log: string[] = []
    const d = await node({ secret: SECRET, log: (event, fields) => log.push(`${event} ${JSON.stringify(fields)}`) })
    const wrong = Buffer.from('another secret, 32 bytes long!!!')
    // Over TLS the other pool's key fails the handshake; the failure is logged like a wrong proof.
    await expect(NodeClient.connect(d.url, { client: 't', secret: wrong })).rejects.toThrow(/refused this pool's key/)
    // Plain (--insecure on both sides), the HMAC proof is what refuses it.
    const plain = await node({ secret: SECRET, insecure: true })
    await expect(NodeClient.connect(plain.url, { client: 't', secret: wrong, insecure: true })).rejects.toThrow(
      /could not prove it knows the secret/,
    )
    const ws = await open(d.url)
    const challenge = nextFrame(ws)
    const clientNonce = newNonce()
    send(ws, { type: 'hello', role: 'submit', client: 'x', nonce: clientNonce })
    const c = await challenge
    if (c.type !== 'challenge') throw new Error(c.type)
    expect(c.auth).toBe('hmac')
    // The node's proof is no use as the client's: labels differ per direction (no reflection).
    const code = closed(ws)
    send(ws, { type: 'auth', proof: c.proof })
    expect(await code).toBe(4403)
    expect(log.some((l) => l.startsWith('authentication failed'))).toBe(true)
    // The secret never crossed the wire.
    expect(JSON.stringify(c)).not.toContain(SECRET.toString())
    await stillServes(d, SECRET)
  })

  it('fails a replayed handshake: the node picks a fresh nonce every time', async () => {
    const d = await node({ secret: SECRET })
    const clientNonce = newNonce()
    // A genuine exchange, recorded by an eavesdropper.
    const first = await open(d.url)
    const c1 = nextFrame(first)
    send(first, { type: 'hello', role: 'submit', client: 'x', nonce: clientNonce })
    const ch1 = await c1
    if (ch1.type !== 'challenge') throw new Error(ch1.type)
    const recordedProof = computeProof(SECRET, 'distw-v1-client', clientNonce, ch1.nonce)
    const w1 = nextFrame(first)
    send(first, { type: 'auth', proof: recordedProof })
    expect((await w1).type).toBe('welcome')
    first.close()
    // The replay: same hello, same auth bytes.
    const second = await open(d.url)
    const c2 = nextFrame(second)
    send(second, { type: 'hello', role: 'submit', client: 'x', nonce: clientNonce })
    const ch2 = await c2
    if (ch2.type !== 'challenge') throw new Error(ch2.type)
    expect(ch2.nonce.equals(ch1.nonce)).toBe(false)
    const code = closed(second)
    send(second, { type: 'auth', proof: recordedProof })
    expect(await code).toBe(4403)
    await stillServes(d, SECRET)
  })

  it('turns an address away after repeated failures, and logs it without flooding', async () => {
    const log: string[] = []
    const d = await node({ secret: SECRET, authLimits: { burst: 3, refillMs: 60_000, failureDelayMs: 10 }, log: (e) => log.push(e) })
    for (let i = 0; i < 3; i++) expect(await guess(d.url)).toBe(4403)
    // Over TLS it is cut off before the handshake; plain, the upgrade is answered 429.
    await expect(open(d.url)).rejects.toThrow(/disconnected|ECONNRESET|socket hang up/)
    expect(log.filter((e) => e === 'authentication failed').length).toBe(1)
    const plain = await node({ secret: SECRET, insecure: true, authLimits: { burst: 1, refillMs: 60_000, failureDelayMs: 10 } })
    expect(await guess(plain.url)).toBe(4403)
    await expect(open(plain.url)).rejects.toThrow(/429/)
    expect(log).toContain('connection refused')
  })

  it('a client holding a secret refuses a node that does not prove it (impostor or downgrade)', async () => {
    const open1 = await node()
    // With a secret the client speaks TLS with the pool's key, which a node without one cannot answer.
    await expect(NodeClient.connect(open1.url, { client: 't', secret: SECRET })).rejects.toThrow(/refused this pool's key/)
    await expect(NodeClient.connect(open1.url, { client: 't', secret: SECRET, insecure: true })).rejects.toThrow(
      /does not use a shared secret/,
    )
    const other = await node({ secret: Buffer.from('a different secret of 32 bytes!!') })
    await expect(NodeClient.connect(other.url, { client: 't', secret: SECRET })).rejects.toThrow(/refused this pool's key/)
    const otherPlain = await node({ secret: Buffer.from('a different secret of 32 bytes!!'), insecure: true })
    await expect(NodeClient.connect(otherPlain.url, { client: 't', secret: SECRET, insecure: true })).rejects.toThrow(/could not prove/)
    await expect(NodeClient.connect(other.url.replace('wss:', 'ws:'), { client: 't' })).rejects.toThrow(/requires a shared secret/)
  })

  it('compares proofs safely whatever their length', () => {
    const proof = computeProof(SECRET, 'distw-v1-client', newNonce(), newNonce())
    expect(proofMatches(proof, Buffer.from(proof))).toBe(true)
    expect(proofMatches(proof, proof.subarray(0, 31))).toBe(false)
    expect(proofMatches(proof, Buffer.alloc(0))).toBe(false)
  })
})

// One guess at the client proof over a raw connection; resolves to the close code.
async function guess(url: string): Promise<number> {
  const ws = await open(url)
  const challenge = nextFrame(ws)
  send(ws, { type: 'hello', role: 'submit', client: 'guesser', nonce: newNonce() })
  await challenge
  const code = closed(ws)
  send(ws, { type: 'auth', proof: newNonce() })
  return code
}
