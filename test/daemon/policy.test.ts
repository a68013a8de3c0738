// Node policy with an injected clock and load source: no new task outside hours, above max load or over
// the daily budget; a running task is not stopped when the policy turns to "paused".
import { Parser } from '@oclif/core'
import { once } from 'node:events'
import fs from 'node:fs/promises'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { startDaemon, type RunningDaemon } from '../../src/daemon/daemon.js'
import { NodePolicy, parseHours, withinHours, type PolicyEnvironment } from '../../src/daemon/policy/policy.js'
import { policyFromFlags } from '../../src/flags/policy-options.js'
import { policyFlags } from '../../src/flags/daemon.js'
import { flagError } from '../../src/flags/values.js'
import { NodeClient } from '../../src/client/node-client.js'
import { submit } from '../../src/submit/submit.js'
import { distw, tempDir } from '../helpers/cli.js'
import { WatchClient, type NodeStateMessage } from '../../src/client/watch-client.js'
import { within } from '../helpers/wait.js'

// A clock set by the test (local time) and a load the test sets.
function fakeEnvironment(start: string) {
  const state = { now: new Date(start), load: 0.1 }
  const env: PolicyEnvironment = { now: () => new Date(state.now), load: () => state.load }
  return { state, env, advance: (ms: number) => (state.now = new Date(state.now.getTime() + ms)) }
}

let daemon: RunningDaemon | undefined
const clients: NodeClient[] = []
afterEach(async () => {
  for (const client of clients.splice(0)) client.close()
  await daemon?.close()
  daemon = undefined
})

describe('policy rules (pure)', () => {
  it('an hours window that wraps past midnight', () => {
    const night = parseHours('19:00-07:00')
    expect(withinHours(night, new Date('2026-03-02T18:59:00'))).toBe(false)
    expect(withinHours(night, new Date('2026-03-02T19:00:00'))).toBe(true)
    expect(withinHours(night, new Date('2026-03-03T06:59:00'))).toBe(true)
    expect(withinHours(night, new Date('2026-03-03T07:00:00'))).toBe(false)
    const day = parseHours('09:30-17:00')
    expect(withinHours(day, new Date('2026-03-02T12:00:00'))).toBe(true)
    expect(withinHours(day, new Date('2026-03-02T09:29:00'))).toBe(false)
    for (const bad of ['7-19', '25:00-07:00', '19:00-19:00', '19:60-07:00', ''])
      expect(() => parseHours(bad)).toThrow(/24-hour clock, e.g. 19:00-07:00/)
  })

  it('refuses outside hours, above max load, and over the daily budget; the budget restarts at midnight', () => {
    const { state, env, advance } = fakeEnvironment('2026-03-02T18:00:00')
    const policy = new NodePolicy({ hours: parseHours('19:00-07:00'), maxLoad: 2, dailyBudgetMs: 4 * 3_600_000 }, env)
    expect(policy.pauseReason()).toBe('paused: outside hours 19:00-07:00')
    advance(3_600_000) // 19:00
    expect(policy.pauseReason()).toBeUndefined()
    state.load = 3.5
    expect(policy.pauseReason()).toBe('paused: load 3.50 above 2')
    state.load = 0.5
    const first = policy.taskStarted()
    const second = policy.taskStarted()
    advance(90 * 60_000) // two tasks, 1.5 h each: 3 h used
    first()
    expect(policy.budgetUsedMs()).toBe(3 * 3_600_000)
    expect(policy.pauseReason()).toBeUndefined()
    advance(60 * 60_000) // 21:30, the second task still runs: 4 h used
    expect(policy.pauseReason()).toBe('paused: daily budget 4h used')
    expect(policy.policyState()).toMatchObject({
      paused: true,
      reason: 'paused: daily budget 4h used',
      budgetMs: 4 * 3_600_000,
      hours: '19:00-07:00',
      maxLoad: 2,
    })
    advance(3 * 3_600_000) // 00:30 next day: only the half hour since midnight counts
    expect(policy.budgetUsedMs()).toBe(30 * 60_000)
    expect(policy.pauseReason()).toBeUndefined()
    second()
    expect(policy.budgetUsedMs()).toBe(30 * 60_000)
  })

  it('says once when a pause it saw ends: the load falls, a new day restores the budget', async () => {
    const { state, env, advance } = fakeEnvironment('2026-03-02T20:00:00')
    const policy = new NodePolicy({ maxLoad: 2, dailyBudgetMs: 3_600_000, openCheckMs: 10 }, env)
    let opened = 0
    policy.on('open', () => opened++)
    try {
      state.load = 3
      expect(policy.pauseReason()).toBe('paused: load 3.00 above 2')
      state.load = 0.5
      await within(new Promise<void>((resolve) => policy.once('open', () => resolve())), 1000, 'open event after the load fell')
      const task = policy.taskStarted()
      advance(3_600_000)
      expect(policy.pauseReason()).toBe('paused: daily budget 1h used')
      task()
      advance(4 * 3_600_000) // 01:00 next day
      await within(new Promise<void>((resolve) => policy.once('open', () => resolve())), 1000, 'open event on a new day')
      await new Promise((resolve) => setTimeout(resolve, 50)) // several checks: still one event per pause
      expect(opened).toBe(2)
    } finally {
      policy.stop()
    }
  })

  it('flag values become a policy, bad ones a UserError naming the flag', async () => {
    // The way `distw daemon` reads them: each value by its flag, then how they go together.
    const read = async (argv: string[]) => {
      try {
        return policyFromFlags((await Parser.parse(argv, { flags: policyFlags, strict: true })).flags)
      } catch (error) {
        throw flagError(error as Error)
      }
    }
    expect(await read(['--hours', '19:00-07:00', '--max-load', '1.5', '--daily-budget', '4h'])).toMatchObject({
      maxLoad: 1.5,
      dailyBudgetMs: 14_400_000,
      hours: { start: 19 * 60, end: 7 * 60 },
    })
    await expect(read(['--hours', 'nights'])).rejects.toThrow(/--hours: "nights" is not an hours window/)
    await expect(read(['--max-load', '-1'])).rejects.toThrow(/--max-load: must be a positive number/)
    await expect(read(['--daily-budget', 'lots'])).rejects.toThrow(/--daily-budget: invalid duration/)
    await expect(read(['--daily-budget', '25h'])).rejects.toThrow(/--daily-budget: must be more than 0 and at most 24h/)
    await expect(read(['--evict'])).rejects.toThrow(/--evict needs a policy/)
  })
})

describe('policy in a running daemon', () => {
  it('refuses reservations with the reason while paused, and accepts again when the window opens', async () => {
    const { env, advance } = fakeEnvironment('2026-03-02T12:00:00')
    daemon = await startDaemon({ port: 0, slots: 2, nodePolicy: { hours: parseHours('19:00-07:00') }, policyEnvironment: env })
    const client = await NodeClient.connect(daemon.url, { client: 'policy-test' })
    clients.push(client)
    expect(await client.reserve(1)).toBeUndefined()
    expect(client.lastRefusal).toBe('paused: outside hours 19:00-07:00')
    expect(daemon.policyState()).toMatchObject({ paused: true, reason: 'paused: outside hours 19:00-07:00' })
    advance(8 * 3_600_000)
    expect(await client.reserve(1)).toEqual(expect.any(String))
    expect(daemon.policyState().paused).toBe(false)
  })

  it('shows monitors a paused node as draining, and idle again once the window opens', async () => {
    const { env, advance } = fakeEnvironment('2026-03-02T12:00:00')
    daemon = await startDaemon({ port: 0, slots: 1, nodePolicy: { hours: parseHours('19:00-07:00') }, policyEnvironment: env })
    const watcher = await WatchClient.connect(daemon.url, { client: 'policy-test' })
    try {
      const next = () => within(once(watcher, 'state'), 5_000, 'a state snapshot') as Promise<[NodeStateMessage]>
      expect((await next())[0]).toMatchObject({ state: 'draining', pauseReason: 'paused: outside hours 19:00-07:00' })
      advance(8 * 3_600_000)
      // The pause's end changes no slot: it shows with the next keepalive snapshot (every 2 s).
      const [open] = await next()
      expect(open.state).toBe('idle')
      expect(open).not.toHaveProperty('pauseReason')
    } finally {
      watcher.close()
    }
  })

  it('tells a submitter it refused when the hours window opens, well before the 5 s fallback', async () => {
    const { env, state } = fakeEnvironment('2026-03-02T12:00:00')
    const nodePolicy = { hours: parseHours('19:00-07:00'), openCheckMs: 50 }
    daemon = await startDaemon({ port: 0, slots: 2, nodePolicy, policyEnvironment: env })
    const client = await NodeClient.connect(daemon.url, { client: 'policy-test' })
    clients.push(client)
    const notice = new Promise<number>((resolve) => client.onFree(() => resolve(Date.now())))
    expect(await client.reserve(1)).toBeUndefined()
    expect(client.lastRefusal).toBe('paused: outside hours 19:00-07:00')
    const opened = Date.now()
    state.now = new Date('2026-03-02T19:00:00')
    expect(await within(notice, 2000, 'free notice after the window opened')).toBeLessThan(opened + 1000)
    expect(await client.reserve(1)).toEqual(expect.any(String))
  })

  it('a slot freed while paused tells no one; the end of the pause does', async () => {
    const { env, state } = fakeEnvironment('2026-03-02T20:00:00')
    const nodePolicy = { hours: parseHours('19:00-07:00'), openCheckMs: 50 }
    daemon = await startDaemon({ port: 0, slots: 1, nodePolicy, policyEnvironment: env })
    const [a, b] = [await NodeClient.connect(daemon.url, { client: 'holder' }), await NodeClient.connect(daemon.url, { client: 'waiter' })]
    clients.push(a, b)
    let told = 0
    const notice = new Promise<void>((resolve) => b.onFree(() => (told++, resolve())))
    const lease = await a.reserve(1)
    expect(lease).toEqual(expect.any(String))
    state.now = new Date('2026-03-03T09:00:00') // paused
    expect(await b.reserve(1)).toBeUndefined()
    expect(b.lastRefusal).toBe('paused: outside hours 19:00-07:00')
    a.release(lease!)
    // A round trip on a proves the release was handled; one on b that any notice sent has arrived.
    await a.probe([], [])
    await b.probe([], [])
    expect(told).toBe(0)
    state.now = new Date('2026-03-03T19:30:00')
    await within(notice, 2000, 'free notice after the window opened')
    expect(told).toBe(1)
    expect(await b.reserve(1)).toEqual(expect.any(String))
  })

  it('a running task survives the policy turning to paused, and then no new task is accepted', async () => {
    const { env, state } = fakeEnvironment('2026-03-02T20:00:00')
    daemon = await startDaemon({ port: 0, slots: 1, nodePolicy: { hours: parseHours('19:00-07:00'), maxLoad: 4 }, policyEnvironment: env })
    const cwd = await tempDir()
    const marker = path.join(cwd, 'started')
    const batch = submit({
      tasks: `{"name":"long","argv":["sh","-c","touch '${marker}'; sleep 1.5; echo finished > done.txt"]}`,
      cwd,
      peers: [daemon.url.replace('ws://', '')],
    })
    while (!(await fs.stat(marker).catch(() => undefined))) await new Promise((r) => setTimeout(r, 50))
    state.now = new Date('2026-03-03T09:00:00') // the window closes while the task runs
    state.load = 9
    const result = await batch
    expect(result.ok).toBe(true)
    expect(await fs.readFile(path.join(cwd, 'done.txt'), 'utf8')).toBe('finished\n')
    const client = await NodeClient.connect(daemon.url, { client: 'policy-test' })
    clients.push(client)
    expect(await client.reserve(1)).toBeUndefined()
    expect(client.lastRefusal).toBe('paused: outside hours 19:00-07:00')
  })

  it('with evict, a running task is stopped once the policy turns to paused, and runs again when it opens', async () => {
    const { env, state } = fakeEnvironment('2026-03-02T20:00:00')
    const policy = { hours: parseHours('19:00-07:00'), evict: true, evictCheckMs: 50, openCheckMs: 50 }
    daemon = await startDaemon({ port: 0, slots: 1, nodePolicy: policy, policyEnvironment: env, killGraceMs: 200 })
    const cwd = await tempDir()
    const runs = path.join(cwd, 'runs')
    const warnings: string[] = []
    // The first run waits to be evicted; the second (after the window opens again) finishes at once.
    const script = `echo run >> '${runs}'; [ "$(wc -l < '${runs}')" -ge 2 ] || sleep 30`
    const batch = submit({
      tasks: JSON.stringify({ name: 'long', argv: ['sh', '-c', script] }),
      cwd,
      peers: [daemon.url.replace('ws://', '')],
      observer: { warning: (message) => warnings.push(message) },
    })
    while (!(await fs.stat(runs).catch(() => undefined))) await new Promise((r) => setTimeout(r, 50))
    state.now = new Date('2026-03-03T09:00:00')
    await within(
      (async () => {
        while (warnings.length === 0) await new Promise((r) => setTimeout(r, 50))
      })(),
      10_000,
      'eviction warning',
    )
    expect(warnings[0]).toMatch(/long was stopped by .*'s policy; it goes back to the queue/)
    // Back inside the hours: the node announces free slots and the task runs again, as its first attempt.
    state.now = new Date('2026-03-03T20:00:00')
    const result = await within(batch, 20_000, 'the batch')
    expect(result.ok).toBe(true)
    expect(result.results[0]?.attempts).toBe(1)
    expect((await fs.readFile(runs, 'utf8')).trim().split('\n')).toEqual(['run', 'run'])
  })

  it('distw daemon refuses a bad --hours before listening', async () => {
    const run = await distw(['daemon', '--port', '0', '--hours', '7pm-7am'])
    expect(run.exitCode).toBe(2)
    expect(run.stderr).toContain('--hours: "7pm-7am" is not an hours window')
  })
})
