// The README's `distw daemon …` lines, verbatim, each in a network namespace of its own (port 7420 there
// is free and the machine's is never taken) with a /var/tmp and a HOME of its own: started, checked
// through `distw status`, stopped. Root runs them with DISTW_ALLOW_ROOT=true, as the README's config
// section allows, so that the command lines stay as written.
import { mkdtempSync, rmSync } from 'node:fs'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { lanUnavailable, makeLan, waitForOutput, type LanHost } from '../helpers/netns.js'
import { readmeExample } from '../helpers/readme.js'

const skip = lanUnavailable()
if (skip) console.log(`skipping the README daemon lines: ${skip}`)

interface NodeState {
  node: { name: string; slots: number }
  state: string
  pauseReason?: string
  cache: { capBytes: number }
}

// A namespace of its own with a HOME of its own, for one line: `daemon` starts the line, waits for its
// banner and returns the banner and the node's state as `distw status` sees it; `stop` is Ctrl-C. All of
// it is removed afterwards, even when the test fails. (Not tempDir(): the tests here run at once, and
// its folders go after each test.)
async function inNamespace(test: (ns: Awaited<ReturnType<typeof namespace>>) => Promise<void>): Promise<void> {
  const ns = await namespace()
  try {
    await test(ns)
  } finally {
    await ns.lan.destroy()
    rmSync(ns.home, { recursive: true, force: true })
  }
}

async function namespace() {
  const lan = await makeLan(1)
  const host = lan.hosts[0] as LanHost
  const home = mkdtempSync(path.join(os.tmpdir(), 'distw-home-'))
  const env = { HOME: home, XDG_CONFIG_HOME: path.join(home, '.config'), DISTW_ALLOW_ROOT: 'true' }
  const daemon = async (line: string) => {
    const child = lan.shell(host, line, { cwd: home, env })
    const banner = await waitForOutput(child, (text) => /listening on ws:\/\/127\.0\.0\.1:7420/.test(text), 60_000).found
    const status = await lan.shell(host, 'distw status --peer 127.0.0.1:7420 --json', { cwd: home, env })
    expect(status.exitCode, status.stderr).toBe(0)
    const [report] = (JSON.parse(status.stdout) as { nodes: Array<{ state: NodeState }> }).nodes
    return { child, banner, state: (report as { state: NodeState }).state }
  }
  // Ctrl-C: the daemon stops its work and exits, closing its output.
  const stop = async (child: Awaited<ReturnType<typeof daemon>>['child']) => {
    lan.interrupt(child)
    const done = await child
    expect(done.stderr).toMatch(/ stopping/)
    return done
  }
  return { lan, home, daemon, stop }
}

// At once: each line has a namespace of its own, and most of each test is waiting for a Node to start.
describe.skipIf(skip !== undefined).concurrent('the README’s daemon lines, verbatim, in a namespace', { timeout: 120_000 }, () => {
  it('distw daemon: port 7420, cores − 1 slots, loopback only without a pool', () =>
    inNamespace(async ({ daemon, stop }) => {
      const { child, banner, state } = await daemon(readmeExample('distw daemon'))
      const slots = Math.max(1, os.availableParallelism() - 1)
      expect(banner).toContain(`listening on ws://127.0.0.1:7420 with ${slots} slot(s)`)
      expect(banner).toContain('no pool: loopback only')
      expect(state.node.slots).toBe(slots)
      await stop(child)
    }))

  it('--slots 4 --port 7420 --work-dir /var/tmp/distw --name render-box', () =>
    inNamespace(async ({ daemon, stop }) => {
      const line = readmeExample('distw daemon --slots 4 --port 7420 --work-dir /var/tmp/distw --name render-box')
      const { child, banner, state } = await daemon(line)
      expect(banner).toContain('distw node "render-box" listening on ws://127.0.0.1:7420 with 4 slot(s)')
      expect(state.node).toMatchObject({ name: 'render-box', slots: 4 })
      const done = await stop(child)
      expect(done.stderr).toMatch(/listening .*workDir=\/var\/tmp\/distw cache=\/var\/tmp\/distw\/cache/)
    }))

  it('--heartbeat 5s --submitter-grace 10s --kill-grace 2s (the defaults)', () =>
    inNamespace(async ({ daemon, stop }) => {
      const { child, state } = await daemon(readmeExample('distw daemon --heartbeat 5s --submitter-grace 10s --kill-grace 2s'))
      expect(state.state).not.toBe('lost')
      await stop(child)
    }))

  it('--cache-dir ~/.cache/distw --cache-size 20G --max-output 100M: the cache under HOME, 20 GiB', () =>
    inNamespace(async ({ daemon, stop, home }) => {
      const { child, state } = await daemon(readmeExample('distw daemon --cache-dir ~/.cache/distw --cache-size 20G --max-output 100M'))
      expect(state.cache.capBytes).toBe(20 * 1024 ** 3)
      expect((await fs.stat(path.join(home, '.cache/distw'))).isDirectory()).toBe(true)
      const done = await stop(child)
      expect(done.stderr).toContain(`cache=${path.join(home, '.cache/distw')}`)
    }))

  it('--hours 19:00-07:00 --max-load 2.5 --daily-budget 4h: refusing says which rule, in the README’s words', () =>
    inNamespace(async ({ daemon, stop }) => {
      const { child, state } = await daemon(readmeExample('distw daemon --hours 19:00-07:00 --max-load 2.5 --daily-budget 4h'))
      // Idle or draining depends on the clock and the load of this machine; a pause names its rule.
      if (state.state === 'draining') expect(state.pauseReason).toMatch(/^paused: (outside hours 19:00-07:00|load [\d.]+ above 2\.5)$/)
      else expect(state.state).toBe('idle')
      await stop(child)
    }))
})
