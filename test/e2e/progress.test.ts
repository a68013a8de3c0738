// Progress lines end to end: a real daemon, a real task printing them across output chunks.
import { afterEach, describe, expect, it } from 'vitest'
import { startDaemon, type RunningDaemon } from '../../src/daemon/daemon.js'
import { submit } from '../../src/submit/submit.js'
import { tempDir } from '../helpers/cli.js'

let daemon: RunningDaemon | undefined
afterEach(async () => {
  await daemon?.close()
  daemon = undefined
})

describe('progress lines from a task', () => {
  it('reaches the submitter as progress and is not forwarded as output', async () => {
    daemon = await startDaemon({ port: 0, slots: 1 })
    const cwd = await tempDir()
    // The first progress line is cut in two writes with a pause, so it reaches the node in two chunks.
    const run = "printf 'before\\n::distw::prog'; sleep 0.2; printf 'ress 45 encoding\\nafter\\n'; echo '::distw::progress 100 done'"
    const progress: string[] = []
    let stdout = ''
    const batch = await submit({
      tasks: JSON.stringify({ name: 'enc', run }),
      cwd,
      peers: [`127.0.0.1:${daemon.port}`],
      observer: {
        taskProgress: (task, percent, text) => progress.push(`${task.name} ${percent} ${text}`),
        taskOutput: (_task, _stream, data) => {
          stdout += data.toString()
        },
      },
    })
    expect(batch.ok).toBe(true)
    expect(progress).toEqual(['enc 45 encoding', 'enc 100 done'])
    expect(stdout).toBe('before\nafter\n')
  })
})
