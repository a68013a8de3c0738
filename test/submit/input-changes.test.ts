// An input file that changes while a batch runs: a later task gets the file as it is when that task
// is sent (not the digest of the batch's start, which the node has cached with the old bytes), and an
// upload whose file changes under it is not finished (the node would find its digest wrong and drop
// the connection with every task on it): it is started over once the file is hashed again.
import { createHash, randomBytes } from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { startDaemon, type RunningDaemon } from '../../src/daemon/daemon.js'
import { CHUNK_BYTES } from '../../src/protocol/index.js'
import { InputChanged, NodeClient } from '../../src/client/node-client.js'
import { submit } from '../../src/submit/submit.js'
import { tempDir } from '../helpers/cli.js'

let daemon: RunningDaemon | undefined
afterEach(async () => {
  await daemon?.close()
  daemon = undefined
})

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex')

describe('inputs that change during a batch', () => {
  it('sends a later task the file as it is then, not as it was when the batch began', async () => {
    daemon = await startDaemon({ port: 0, slots: 1, workDir: await tempDir('distw-node-') })
    const dir = await tempDir()
    const data = path.join(dir, 'data.txt')
    await fs.writeFile(data, 'first\n')
    // The node is on this machine, so the first task can change the submitter's own copy of the input.
    const tasks = [
      JSON.stringify({ name: 'before', run: `cat data.txt > before.txt; echo second > ${JSON.stringify(data)}`, inputs: ['data.txt'] }),
      JSON.stringify({ name: 'after', run: 'cat data.txt > after.txt', inputs: ['data.txt'], after: ['before'] }),
    ]
    const batch = await submit({ tasks: tasks.join('\n'), cwd: dir, peers: [daemon.url.replace('ws://', '')], local: 'never' })
    expect(batch.ok).toBe(true)
    expect(await fs.readFile(path.join(dir, 'before.txt'), 'utf8')).toBe('first\n')
    expect(await fs.readFile(path.join(dir, 'after.txt'), 'utf8')).toBe('second\n')
  })

  it('does not finish an upload whose file changed after it was hashed, and the connection goes on', async () => {
    daemon = await startDaemon({ port: 0, slots: 1, workDir: await tempDir('distw-node-') })
    const dir = await tempDir()
    const file = path.join(dir, 'in.bin')
    const bytes = randomBytes(2 * CHUNK_BYTES + 1)
    await fs.writeFile(file, bytes)
    const stat = await fs.stat(file)
    const client = await NodeClient.connect(daemon.url, { client: 'test' })
    try {
      const hashed = { digest: sha256(bytes), size: stat.size, absPath: file, ctimeMs: stat.ctimeMs, ino: stat.ino }
      // As if it was hashed a moment before its last write.
      await expect(client.ensureBlobs([{ ...hashed, mtimeMs: stat.mtimeMs - 1000 }])).rejects.toThrow(InputChanged)
      expect(client.connected).toBe(true)
      // The same blob, its stamp now right: the upload starts over on the same connection, and is stored.
      expect(await client.ensureBlobs([{ ...hashed, mtimeMs: stat.mtimeMs }])).toBe(bytes.length)
      const lease = (await client.reserve(1)) as string
      let seen = ''
      const exit = await client.run(
        {
          lease,
          task: 't',
          name: 't',
          command: { shell: 'sha256sum in.bin' },
          env: {},
          files: [{ path: 'in.bin', digest: hashed.digest, mode: 0o644 }],
          outputs: [],
        },
        { onOutput: (_stream, chunk) => void (seen += chunk.toString()), onFile: async () => {} },
      )
      expect(exit.exitCode).toBe(0)
      expect(seen).toContain(hashed.digest)
    } finally {
      client.close()
    }
  })
})
