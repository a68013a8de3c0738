// What SECURITY.md and PROTOCOL.md promise on points an independent client found untrue: a `__proto__`
// key is refused (not renamed), the legacy Sec-WebSocket-Origin header is refused like Origin, failed
// handshakes log at most once per address a minute, the rate limit is a bucket refilling one attempt
// per interval, and a task inherits no descriptor beyond 0–2 from whatever started the daemon.
import fs from 'node:fs/promises'
import path from 'node:path'
import { Packr } from 'msgpackr'
import { describe, expect, it } from 'vitest'
import { computeProof, newNonce, PROTOCOL_VERSION } from '../../src/protocol/index.js'
import { distw, spawnDaemon, tempDir, CLI } from '../helpers/cli.js'
import { authenticated, closed, framesUntilClose, nextFrame, node, open, reserveRaw, send, SECRET } from './harness.js'

describe('hardening', { timeout: 60_000 }, () => {
  it('refuses a frame with a __proto__ map key instead of renaming it', async () => {
    const d = await node()
    const ws = await authenticated(d.url)
    const lease = await reserveRaw(ws)
    const env: Record<string, string> = {}
    Object.defineProperty(env, '__proto__', { value: 'x', enumerable: true })
    const run = { v: PROTOCOL_VERSION, type: 'run', lease, task: 't', name: 'p', command: { argv: ['true'] }, env, files: [], outputs: [] }
    const seen = framesUntilClose(ws)
    ws.send(new Packr({ useRecords: false }).pack(run))
    const { frames } = await seen
    expect(frames.map((f) => f.type)).not.toContain('started')
    expect(frames.find((f) => f.type === 'error')?.message).toMatch(/__proto__/)
  })

  it('refuses the legacy Sec-WebSocket-Origin header as it refuses Origin', async () => {
    const d = await node()
    await expect(open(d.url, { headers: { 'Sec-WebSocket-Origin': 'http://evil.example' } })).rejects.toThrow(/403/)
    await expect(open(d.url, { origin: 'http://evil.example' })).rejects.toThrow(/403/)
  })

  it('logs failed proofs once per address a minute, and refills one attempt per interval', async () => {
    const log: string[] = []
    // Plain ws (--insecure): the limiter answers at the upgrade with 429 (over TLS it cuts the connection before it).
    const d = await node({
      secret: SECRET,
      insecure: true,
      authLimits: { burst: 3, refillMs: 1500, failureDelayMs: 10 },
      log: (e) => log.push(e),
    })
    for (let i = 0; i < 3; i++) expect(await wrongProof(d.url)).toBe(4403)
    await expect(open(d.url)).rejects.toThrow(/429/)
    // One line for the failures, one for the refusal at the upgrade: not one a failure.
    expect(log.filter((e) => e === 'authentication failed').length).toBe(1)
    expect(log.filter((e) => e === 'connection refused').length).toBe(1)
    await new Promise((r) => setTimeout(r, 1700))
    expect(await wrongProof(d.url)).toBe(4403) // one token came back…
    await expect(open(d.url)).rejects.toThrow(/429/) // …and only one
  })

  it('gives a task no descriptor beyond 0-2, even one the daemon inherited without close-on-exec', async () => {
    const dir = await tempDir()
    const wrapper = path.join(dir, 'distw-with-fd')
    // Descriptor 7 open without close-on-exec, as a job runner's pipe may be.
    await fs.writeFile(wrapper, `#!/bin/sh\nexec 7</dev/null\nexec "${process.execPath}" "${CLI}" "$@"\n`, { mode: 0o755 })
    const daemon = await spawnDaemon([], { bin: wrapper })
    const run = await distw(['submit', '-', '--peer', daemon.peer], { cwd: dir, input: 'ls /proc/$$/fd\n' })
    expect(run.exitCode, run.stderr).toBe(0)
    const fds = run.stdout.split(/\s+/).filter((w) => /^\d+$/.test(w))
    expect(fds.sort()).toEqual(['0', '1', '2'])
  })
})

async function wrongProof(url: string): Promise<number> {
  const ws = await open(url)
  const challenge = nextFrame(ws)
  send(ws, { type: 'hello', role: 'submit', client: 'guesser', nonce: newNonce() })
  const c = await challenge
  if (c.type !== 'challenge') throw new Error(c.type)
  const code = closed(ws)
  send(ws, { type: 'auth', proof: computeProof(Buffer.from('not the secret, 32 bytes long!!!'), 'distw-v1-client', newNonce(), c.nonce) })
  return code
}
