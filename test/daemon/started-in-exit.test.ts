// A task that ends within a moment of starting, with no output, gets no `started` frame: its exit says
// `started: true`, and the client's handlers see the start before the exit as they would the frame. A task
// that runs longer, or writes output first, gets its `started` frame before anything else of it.
import { afterEach, describe, expect, it } from 'vitest'
import { startDaemon, type RunningDaemon } from '../../src/daemon/daemon.js'
import { NodeClient } from '../../src/client/node-client.js'

let daemon: RunningDaemon | undefined
let client: NodeClient | undefined
afterEach(async () => {
  client?.close()
  await daemon?.close()
  daemon = undefined
})

describe('started, sent or folded into the exit', () => {
  it('folds it into a short silent task’s exit, sends it for a longer one and before output', async () => {
    daemon = await startDaemon({ port: 0, slots: 1 })
    client = await NodeClient.connect(daemon.url, { client: 'test' })
    const run = async (task: string, shell: string) => {
      const lease = await client!.reserve(1)
      const seen: string[] = []
      const exit = await client!.run(
        { lease: lease as string, task, name: task, command: { shell }, env: {}, files: [], outputs: [] },
        {
          onStarted: () => seen.push('started'),
          onOutput: () => void seen.push('output'),
          onFile: async () => {},
          onExit: () => seen.push('exit'),
        },
      )
      return { exit, seen }
    }
    // A node's first task (its launcher or shell not yet there) or a loaded machine may take longer than
    // the fold waits: a few tries, each still seeing the start before the exit.
    let short = await run('short-0', 'true')
    for (let i = 1; i < 5 && short.exit.started !== true; i++) {
      expect(short.seen).toEqual(['started', 'exit'])
      short = await run(`short-${i}`, 'true')
    }
    expect(short.exit.started).toBe(true)
    expect(short.seen).toEqual(['started', 'exit'])

    const long = await run('long', 'sleep 0.3')
    expect(long.exit.started).toBeUndefined()
    expect(long.seen).toEqual(['started', 'exit'])

    const talks = await run('talks', 'echo hi')
    expect(talks.exit.started).toBeUndefined()
    expect(talks.seen[0]).toBe('started')
    expect(talks.seen).toContain('output')

    // A task that could not be set up never started: neither a frame nor the flag.
    const lease = await client.reserve(1)
    const seen: string[] = []
    const missing = await client.run(
      {
        lease: lease as string,
        task: 'missing',
        name: 'missing',
        command: { shell: 'true' },
        env: {},
        files: [{ path: 'x', digest: 'a'.repeat(64), mode: 0o644 }],
        outputs: [],
      },
      { onStarted: () => seen.push('started'), onOutput: () => {}, onFile: async () => {} },
    )
    expect(missing.error).toBeDefined()
    expect(missing.started).toBeUndefined()
    expect(seen).toEqual([])
  })
})
