// A pool in one step, on a namespaced LAN: `pool new` on one host, `pool join CODE` on the others,
// `daemon` without flags (but --allow-root: the tests run as root, and --name: the hosts share one
// host name) on two, `submit` without flags on the third runs a batch on both; a node of another pool
// on the same LAN is heard but never used.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { tempDir } from '../helpers/cli.js'
import { lanUnavailable, makeLan, waitForOutput, type Lan, type LanHost } from '../helpers/netns.js'

const skip = lanUnavailable()
if (skip) console.log(`skipping the namespaced LAN pool test: ${skip}`)

describe.skipIf(skip !== undefined)('a pool on a namespaced LAN', { timeout: 180_000 }, () => {
  let lan: Lan
  beforeEach(async () => {
    lan = await makeLan(4)
  })
  afterEach(async () => {
    await lan.destroy()
  })

  it('pool new, pool join CODE, daemon and submit with no flags: the batch runs on both nodes of the pool only', async () => {
    const [a, b, c, stranger] = lan.hosts as [LanHost, LanHost, LanHost, LanHost]
    // Each host its own config folder: its own pool secret.
    const homes = new Map<LanHost, Record<string, string>>()
    for (const host of lan.hosts) homes.set(host, { XDG_CONFIG_HOME: await tempDir('distw-host-') })
    const run = async (host: LanHost, args: string[], options: { cwd?: string; input?: string } = {}) => {
      const child = lan.distw(host, args, { ...options, env: homes.get(host) ?? {} })
      const out = waitForOutput(child, () => false, 120_000)
      const result = await child
      return { exitCode: result.exitCode, stdout: out.text() }
    }
    const made = await run(a, ['pool', 'new'])
    expect(made.exitCode).toBe(0)
    const code = made.stdout.trim()
    for (const host of [b, c]) expect((await run(host, ['pool', 'join', code])).exitCode).toBe(0)
    expect((await run(stranger, ['pool', 'new'])).exitCode).toBe(0)

    const daemon = async (host: LanHost, name: string) => {
      const child = lan.distw(host, ['daemon', '--allow-root', '--name', name], { env: homes.get(host) ?? {} })
      await waitForOutput(child, (t) => /every address, announced on the LAN/.test(t), 30_000).found
    }
    await Promise.all([daemon(a, 'alpha'), daemon(b, 'beta'), daemon(stranger, 'stranger')])

    const peers = await run(c, ['peers'])
    expect(peers.stdout).toContain('alpha')
    expect(peers.stdout).toContain('beta')
    expect(peers.stdout).not.toContain('stranger')
    expect(peers.stdout).toMatch(/1 node of other pools or none heard/)

    const dir = await tempDir()
    const tasks = Array.from({ length: 8 }, (_, i) => `sleep 0.5; echo "t${i} on $DISTW_NODE"`).join('\n')
    const batch = await run(c, ['submit', '-'], { cwd: dir, input: tasks })
    expect(batch.exitCode).toBe(0)
    expect(batch.stdout.match(/t\d+ on (alpha|beta)/g)?.length).toBe(8)
    expect(batch.stdout).toMatch(/on alpha/)
    expect(batch.stdout).toMatch(/on beta/)
    expect(batch.stdout).not.toMatch(/on stranger|\(local\)/)
  })
})
