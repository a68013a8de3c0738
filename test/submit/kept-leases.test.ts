// A lease the node kept for us after a task ended (claim reuse) that the next task cannot use (another
// slot count or lock) is given back, and its slots go to the waiting tasks at once (issue 19, item 1:
// these batches hung forever with the node idle). Against real in-process daemons.
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { startDaemon, type RunningDaemon } from '../../src/daemon/daemon.js'
import { submit, type SubmitOptions } from '../../src/submit/submit.js'

const daemons: RunningDaemon[] = []
const dirs: string[] = []
afterEach(async () => {
  for (const d of daemons.splice(0)) await d.close()
  for (const d of dirs.splice(0)) await fs.rm(d, { recursive: true, force: true })
})

async function run(lines: object[], options: Partial<SubmitOptions>, slots?: number) {
  const peers: string[] = []
  if (slots !== undefined) {
    const daemon = await startDaemon({ port: 0, slots })
    daemons.push(daemon)
    peers.push(daemon.url.replace('ws://', ''))
  }
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'distw-kept-'))
  dirs.push(dir)
  const tasks = lines.map((l) => JSON.stringify(l)).join('\n')
  return submit({ tasks, cwd: dir, peers, local: slots === undefined ? 'auto' : 'never', ...options })
}

describe('a kept lease the next task cannot use', () => {
  it('a lock task, then a plain one, on a 1-slot node', async () => {
    const batch = await run([{ lock: 'a', run: 'true' }, { run: 'true' }], {}, 1)
    expect(batch.results.map((r) => r.status)).toEqual(['succeeded', 'succeeded'])
  })

  it('a 2-slot task, then 1-slot tasks, on a 2-slot node', async () => {
    const batch = await run([{ slots: 2, run: 'true' }, ...Array.from({ length: 4 }, () => ({ run: 'true' }))], {}, 2)
    expect(batch.ok).toBe(true)
  })

  it('plain tasks, then lock tasks, then plain ones again, on the embedded local node', async () => {
    const lines = [{ run: 'true' }, { run: 'true' }, { lock: 'x', run: 'true' }, { lock: 'y', run: 'true' }, { run: 'true' }]
    const batch = await run(lines, { localSlots: 1 })
    expect(batch.ok).toBe(true)
  })
})
