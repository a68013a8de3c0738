// `outputs` globs are matched without backtracking: a glob with many `*` against names a task chose
// (8 `*a` took a regex matcher 10 s a name, ×6 for each more) neither delays the task's exit nor
// holds up other clients; globs past the bounds are refused before anything starts.
import { describe, expect, it } from 'vitest'
import { MAX_GLOB_CHARS, MAX_GLOBS_TOTAL_CHARS } from '../../src/protocol/index.js'
import { parseTasks, TaskFileError } from '../../src/tasks/index.js'
import { authenticated, framesUntilClose, node, reserveRaw, runOne, send } from './harness.js'

describe('output globs', { timeout: 60_000 }, () => {
  it('matches a many-star glob against hostile names in linear time, and other clients are served meanwhile', async () => {
    const d = await node()
    const name = 'a'.repeat(54)
    let handshakeMs: Promise<number> | undefined
    const onStarted = (): void => {
      const t = performance.now()
      handshakeMs = authenticated(d.url).then((ws) => (ws.close(), performance.now() - t))
    }
    const started = performance.now()
    const { exit } = await runOne(
      d,
      { command: { shell: `for i in 1 2 3 4 5 6 7 8; do touch ${name}$i; done; touch ${name}b` }, outputs: ['*a*a*a*a*a*a*a*a*ab'] },
      undefined,
      onStarted,
    )
    expect(exit.exitCode).toBe(0)
    // A backtracking matcher needs minutes here; a loaded 2-core machine needs well under a second.
    expect(performance.now() - started).toBeLessThan(20_000)
    expect(await handshakeMs).toBeLessThan(5_000)
  })

  it('refuses globs past the bounds on the wire and in a task line', async () => {
    const d = await node()
    const tooLong = '*'.repeat(MAX_GLOB_CHARS + 1)
    const tooMany = '{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}'
    const together = Array.from({ length: 10 }, (_, i) => `${'*x'.repeat(MAX_GLOBS_TOTAL_CHARS / 20)}${i}`)
    for (const outputs of [[tooLong], [tooMany], together]) {
      const ws = await authenticated(d.url)
      const lease = await reserveRaw(ws)
      const seen = framesUntilClose(ws)
      send(ws, { type: 'run', lease, task: 't', name: 'g', command: { argv: ['true'] }, env: {}, files: [], outputs })
      const { frames } = await seen
      expect(frames.map((f) => f.type)).not.toContain('started')
      expect(frames.find((f) => f.type === 'error')).toMatchObject({ code: 'DISTW_ERR_BAD_FRAME' })
      expect(() => parseTasks(JSON.stringify({ run: 'true', outputs }), 't')).toThrow(TaskFileError)
      // Input globs are crawled one by one on the submitting machine: each is bounded, not all together.
      if (outputs.length === 1) expect(() => parseTasks(JSON.stringify({ run: 'true', inputs: outputs }), 't')).toThrow(TaskFileError)
    }
  })
})
