// The handshake's test vector in docs/PROTOCOL.md §3, checked against the code: the secret file's bytes
// as loadSecret reads them, and both proofs.
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterEach, expect, it } from 'vitest'
import { computeProof } from '../../src/protocol/index.js'
import { loadSecret } from '../../src/secret.js'

const DOC = path.join(import.meta.dirname, '../../docs/PROTOCOL.md')
let dir: string | undefined

afterEach(async () => {
  if (dir) await fs.rm(dir, { recursive: true, force: true })
})

it('matches the test vector of PROTOCOL §3', async () => {
  const doc = await fs.readFile(DOC, 'utf8')
  const field = (name: string): Buffer => Buffer.from(new RegExp(`^\\s*${name}\\s+= ([0-9a-f]{64})$`, 'm').exec(doc)?.[1] ?? '', 'hex')
  const fileText = JSON.parse(/^\s*secret file\s+("[^"]+")/m.exec(doc)?.[1] ?? '""') as string
  expect(fileText).toBe('0123456789abcdef0123456789abcdef\n')
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'distw-vector-'))
  const file = path.join(dir, 'secret')
  await fs.writeFile(file, fileText, { mode: 0o600 })
  const secret = await loadSecret({ file, env: {} })
  expect(secret).toEqual(Buffer.from('0123456789abcdef0123456789abcdef', 'ascii'))
  const [nc, nn] = [field('Nc'), field('Nn')]
  expect(nc.length).toBe(32)
  expect(computeProof(secret as Buffer, 'distw-v1-node', nc, nn)).toEqual(field('P_node'))
  expect(computeProof(secret as Buffer, 'distw-v1-client', nc, nn)).toEqual(field('P_client'))
})
