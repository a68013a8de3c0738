// A lease that ran out before its task was sent is the node's doing, not the task's: the task is run
// again on a new reservation without spending a retry. Here the lease a node kept for the batch's next
// task expires while that task's big input is still being hashed (a short TTL stands in for a huge file).
import fs from 'node:fs/promises'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { startDaemon, type RunningDaemon } from '../../src/daemon/daemon.js'
import { submit } from '../../src/submit/submit.js'
import { tempDir } from '../helpers/cli.js'

let daemon: RunningDaemon | undefined
afterEach(async () => {
  await daemon?.close()
  daemon = undefined
})

describe('a lease that expires before its run', () => {
  it('runs the task again on a new reservation, without spending a retry', async () => {
    daemon = await startDaemon({ port: 0, slots: 1, workDir: await tempDir('distw-node-'), leaseTtlMs: 60 })
    const dir = await tempDir()
    // Hashing 256 MiB takes well over the 60 ms the kept lease lasts (~200 ms here).
    const handle = await fs.open(path.join(dir, 'big.bin'), 'w')
    const block = Buffer.alloc(16 * 1024 * 1024, 7)
    for (let i = 0; i < 16; i++) await handle.write(block)
    await handle.close()
    const tasks = [
      JSON.stringify({ name: 'first', run: 'true' }),
      JSON.stringify({ name: 'big', run: 'wc -c < big.bin > size.txt', inputs: ['big.bin'], after: ['first'] }),
    ]
    const batch = await submit({ tasks: tasks.join('\n'), cwd: dir, peers: [daemon.url.replace('ws://', '')], local: 'never' })
    expect(batch.results.map((r) => [r.name, r.status, r.attempts, r.reason])).toEqual([
      ['first', 'succeeded', 1, undefined],
      ['big', 'succeeded', 1, undefined],
    ])
    expect(await fs.readFile(path.join(dir, 'size.txt'), 'utf8')).toBe(`${256 * 1024 * 1024}\n`)
  })
})
