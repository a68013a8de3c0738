// A task stopped by a time limit is reported with the limit that stopped it: the node's default
// (--default-timeout) when the task names none, capped by --max-timeout (the exit says which); it read
// "timed out after undefined ms".
import { afterEach, describe, expect, it } from 'vitest'
import { startDaemon, type RunningDaemon } from '../../src/daemon/daemon.js'
import { submit } from '../../src/submit/submit.js'
import { tempDir } from '../helpers/cli.js'

let daemon: RunningDaemon | undefined
afterEach(async () => {
  await daemon?.close()
  daemon = undefined
})

describe('the time limit a task was stopped by', () => {
  it("names the node's default timeout, and the node's maximum over the task's own", async () => {
    daemon = await startDaemon({ port: 0, killGraceMs: 100, policy: { defaultTimeoutMs: 300, maxTimeoutMs: 400 } })
    const result = await submit({
      tasks: [
        JSON.stringify({ name: 'default', argv: ['sleep', '30'] }),
        JSON.stringify({ name: 'capped', argv: ['sleep', '30'], timeout: '20s' }),
      ].join('\n'),
      cwd: await tempDir(),
      peers: [daemon.url],
      local: 'never',
    })
    const byName = new Map(result.results.map((r) => [r.name, r]))
    expect(byName.get('default')).toMatchObject({ status: 'failed', timedOut: true, reason: 'timed out after 300 ms' })
    expect(byName.get('capped')).toMatchObject({ status: 'failed', timedOut: true, reason: 'timed out after 400 ms' })
  })
})
