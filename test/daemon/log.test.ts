// Daemon logs: one line per event, as text or JSON, to stderr or --log-file; frequent events only with
// --verbose. The CLI case runs a real daemon and a real client.
import fs from 'node:fs/promises'
import path from 'node:path'
import { PassThrough } from 'node:stream'
import { Writable } from 'node:stream'
import { describe, expect, it, vi } from 'vitest'
import { LOG_WRITE_MS, openDaemonLog } from '../../src/daemon/log.js'
import { NodeClient } from '../../src/client/node-client.js'
import { spawnDaemon, tempDir } from '../helpers/cli.js'

// Collects what a log wrote to a stream.
async function written(options: { json?: boolean; verbose?: boolean }, events: Array<[string, Record<string, unknown>]>) {
  const out = new PassThrough()
  let text = ''
  out.on('data', (d: Buffer) => (text += d.toString()))
  const { log } = await openDaemonLog(options, out)
  for (const [event, fields] of events) log(event, fields)
  // Lines of one turn leave together at its end.
  await new Promise((resolve) => setImmediate(resolve))
  return text
}

describe('daemon log', () => {
  it('text lines quote values that need it; JSON lines keep time and event; verbose-only events filtered', async () => {
    const events: Array<[string, Record<string, unknown>]> = [
      ['task started', { task: 'frame 7', slots: 2 }],
      ['reservation refused', { reason: 'paused: outside hours 19:00-07:00' }],
    ]
    const text = await written({}, events)
    expect(text).toMatch(/^\d{4}-\d\d-\d\dT\S+Z task started task="frame 7" slots=2\n$/)
    const json = (await written({ json: true, verbose: true }, events))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>)
    expect(json).toHaveLength(2)
    expect(json[0]).toMatchObject({ event: 'task started', task: 'frame 7', slots: 2, time: expect.stringMatching(/Z$/) })
    expect(json[1]).toMatchObject({ event: 'reservation refused', reason: 'paused: outside hours 19:00-07:00' })
  })

  it('distw daemon --log-file --log-json --verbose writes JSON events, refusals included', async () => {
    const dir = await tempDir()
    const file = path.join(dir, 'daemon.log')
    const now = new Date()
    const hh = (h: number) => `${String((now.getHours() + h) % 24).padStart(2, '0')}:00`
    const node = await spawnDaemon(['--log-file', file, '--log-json', '--verbose', '--hours', `${hh(2)}-${hh(3)}`])
    const client = await NodeClient.connect(node.url, { client: 'log-test' })
    try {
      expect(await client.reserve(1)).toBeUndefined()
    } finally {
      client.close()
    }
    node.child.kill('SIGTERM')
    await node.child.finally(() => {})
    const events = (await fs.readFile(file, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { event: string; reason?: string })
    expect(events.map((e) => e.event)).toEqual(expect.arrayContaining(['listening', 'client connected', 'reservation refused', 'stopping']))
    expect(events.find((e) => e.event === 'reservation refused')?.reason).toMatch(/^paused: outside hours/)
    expect(node.log()).toBe('')
  })

  it('writes a turn’s lines at its end, and lines that follow a write within LOG_WRITE_MS together, after it', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'setImmediate', 'performance'] })
    try {
      const writes: string[] = []
      const out = new Writable({
        write(chunk: Buffer, _encoding, done) {
          writes.push(chunk.toString())
          done()
        },
      })
      const { log, close } = await openDaemonLog({}, out)
      const events = () =>
        writes.map((w) =>
          w
            .split('\n')
            .filter(Boolean)
            .map((line) => line.split(' ')[1]),
        )
      log('a')
      log('b')
      await vi.advanceTimersToNextTimerAsync() // the turn ends: a and b leave in one write
      expect(events()).toEqual([['a', 'b']])
      log('c')
      await vi.advanceTimersByTimeAsync(1)
      log('d')
      await vi.advanceTimersByTimeAsync(1)
      expect(events()).toEqual([['a', 'b']]) // within LOG_WRITE_MS of that write: held
      await vi.advanceTimersByTimeAsync(LOG_WRITE_MS)
      expect(events()).toEqual([
        ['a', 'b'],
        ['c', 'd'],
      ])
      log('e')
      await close() // close writes what is pending
      expect(events()).toEqual([['a', 'b'], ['c', 'd'], ['e']])
    } finally {
      vi.useRealTimers()
    }
  })
})
