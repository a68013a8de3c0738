// submit() with discovery on loopback: a node that answers broadcast probes is found and used, and
// --local adds the embedded node alongside it; without --local the embedded node stays out.
import { afterEach, describe, expect, it } from 'vitest'
import { startDaemon, type RunningDaemon } from '../../src/daemon/daemon.js'
import { submit } from '../../src/submit/submit.js'
import { tempDir } from '../helpers/cli.js'

const daemons: RunningDaemon[] = []
afterEach(async () => {
  for (const d of daemons.splice(0)) await d.close()
})

// Runs six tasks with discovery limited to broadcast probes on this test's own port; returns where each ran.
async function runWith(local: 'auto' | 'also') {
  const d = await startDaemon({ port: 0, slots: 1, name: 'found', announce: { mdns: false, broadcast: true } })
  daemons.push(d)
  const ranOn: string[] = []
  const batch = await submit({
    tasks: Array.from({ length: 6 }, (_, i) => `sleep 0.3; echo "${i} $DISTW_NODE"`).join('\n'),
    cwd: await tempDir(),
    discovery: { mdns: false, broadcast: true, port: d.port },
    discoveryWaitMs: 500,
    local,
    localSlots: 1,
    observer: {
      taskOutput: (_task, _stream, data) => {
        ranOn.push(data.toString().trim().split(' ').slice(1).join(' '))
      },
    },
  })
  expect(batch.ok).toBe(true)
  return new Set(ranOn)
}

describe('submit with discovery', () => {
  it('uses the node it found, and not the embedded one', async () => {
    expect([...(await runWith('auto'))]).toEqual(['found'])
  })

  it('adds the embedded node alongside with local: also', async () => {
    const nodes = await runWith('also')
    expect(nodes.has('found')).toBe(true)
    expect([...nodes].some((n) => n.endsWith('(local)'))).toBe(true)
  })
})
