// The traffic of a pool is encrypted: every byte between submitter and node, read on the socket through
// a proxy, holds none of a task's input bytes nor its command; the same batch over --insecure (plain)
// shows both, so the capture would have seen them.
import { randomBytes } from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { submit } from '../../src/submit/submit.js'
import { tcpProxy } from '../helpers/tcp-proxy.js'
import { node, scratch, SECRET } from './harness.js'

// Runs one task reading a file of known bytes through a recording proxy; returns what the wire carried.
async function capture(insecure: boolean) {
  const d = await node({ secret: SECRET, insecure })
  const proxy = await tcpProxy(d.url.replace(/^wss?:\/\//, ''))
  const dir = await scratch()
  const input = `input-bytes-${randomBytes(16).toString('hex')}`
  await fs.writeFile(path.join(dir, 'data.txt'), input.repeat(100))
  const command = `tr a-z A-Z < data.txt > upper.txt; : command-${randomBytes(8).toString('hex')}`
  const batch = await submit({
    tasks: JSON.stringify({ run: command, inputs: ['data.txt'] }),
    cwd: dir,
    peers: [proxy.peer],
    secret: SECRET,
    insecure,
    local: 'never',
  })
  expect(batch.ok).toBe(true)
  expect(await fs.readFile(path.join(dir, 'upper.txt'), 'utf8')).toBe(input.toUpperCase().repeat(100))
  const wire = proxy.captured()
  return { wire, input, command, output: input.toUpperCase() }
}

describe('encryption on the wire', { timeout: 60_000 }, () => {
  it('a pool connection carries none of the input, output or command bytes; plain (--insecure) carries them', async () => {
    const tls = await capture(false)
    expect(tls.wire.length).toBeGreaterThan(tls.input.length * 100)
    for (const secretText of [tls.input, tls.output, tls.command, 'data.txt', SECRET.toString()])
      expect(tls.wire.includes(Buffer.from(secretText))).toBe(false)
    const plain = await capture(true)
    expect(plain.wire.includes(Buffer.from(plain.input))).toBe(true)
    expect(plain.wire.includes(Buffer.from(plain.command))).toBe(true)
  })
})
