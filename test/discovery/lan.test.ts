// Discovery on a real (namespaced) LAN: two daemons on two hosts, clients on a third.
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { tempDir } from '../helpers/cli.js'
import { lanUnavailable, makeLan, waitForOutput, type Lan, type LanHost } from '../helpers/netns.js'

const skip = lanUnavailable()
if (skip) console.log(`skipping namespaced LAN discovery tests: ${skip}`)

const ZEROCONF = fileURLToPath(new URL('../fixtures/zeroconf-browse.py', import.meta.url))
const zeroconfMissing = (() => {
  try {
    execFileSync('/usr/bin/python3', ['-c', 'import zeroconf'], { stdio: 'ignore' })
    return undefined
  } catch {
    return 'python3-zeroconf is not installed (.ci/run installs it)'
  }
})()

describe.skipIf(skip !== undefined)('discovery on a namespaced LAN', () => {
  let lan: Lan
  beforeEach(async () => {
    lan = await makeLan(3)
  })
  afterEach(async () => {
    await lan.destroy()
  })

  // Starts a daemon on a host and resolves once it listens.
  async function daemon(host: LanHost, name: string, extra: string[] = []) {
    // Its own --work-dir, removed after the test even when the daemon is SIGKILLed on purpose.
    const workDir = await tempDir('distw-node-')
    const child = lan.distw(host, [
      'daemon',
      ...['--bind', '0.0.0.0', '--insecure', '--allow-root', '--work-dir', workDir, '--name', name, '--slots', '1'],
      ...extra,
    ])
    let err = ''
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()))
    await waitForOutput(child, (t) => t.includes('listening on'), 20_000).found.catch((e: Error) => {
      throw new Error(`${e.message}\n${err}`)
    })
    // Wrapped: returning the child (a thenable) from an async function would wait for it to exit.
    return { child }
  }

  // Runs `distw peers --json` on host 3 and returns the names it lists.
  async function peersOn(host: LanHost, flags: string[]) {
    const child = lan.distw(host, ['peers', '--json', '--wait', '2s', ...flags])
    const out = waitForOutput(child, () => false, 60_000)
    await child
    return JSON.parse(out.text()) as { nodes: { name: string; address: string; via: string[]; tags: string[] }[] }
  }

  it('lists both daemons within 2 s via mDNS alone, and via broadcast alone', async () => {
    const [a, b, c] = lan.hosts as [LanHost, LanHost, LanHost]
    // Two daemons per host at once: mDNS-only ones on port 7420, broadcast-only ones on 7421.
    await Promise.all([
      daemon(a, 'alpha', ['--no-broadcast', '--tag', 'gpu']),
      daemon(b, 'beta', ['--no-broadcast']),
      daemon(a, 'gamma', ['--no-mdns', '--port', '7421']),
      daemon(b, 'delta', ['--no-mdns', '--port', '7421']),
    ])
    const [byMdns, byBroadcast, silentPort] = await Promise.all([
      peersOn(c, ['--no-broadcast']),
      peersOn(c, ['--no-mdns', '--probe-port', '7421']),
      peersOn(c, ['--no-mdns', '--probe-port', '7420']),
    ])
    const seen = (r: typeof byMdns) => r.nodes.map((n) => `${n.name}@${n.address} via ${n.via.join('+')}`).sort()
    expect(seen(byMdns)).toEqual([`alpha@${a.address} via mdns`, `beta@${b.address} via mdns`])
    expect(byMdns.nodes.find((n) => n.name === 'alpha')?.tags).toEqual(['gpu'])
    expect(seen(byBroadcast)).toEqual([`delta@${b.address} via broadcast`, `gamma@${a.address} via broadcast`])
    // --no-broadcast daemons do not answer probes on their port.
    expect(seen(silentPort)).toEqual([])
  })

  it('drops a daemon killed with SIGKILL from a running watcher within the bound', async () => {
    const [a, b, c] = lan.hosts as [LanHost, LanHost, LanHost]
    const [, { child: victim }] = await Promise.all([daemon(a, 'alpha'), daemon(b, 'beta')])
    const watcher = lan.distw(c, ['peers', '--watch', '--json'])
    const feed = waitForOutput(watcher, (t) => t.includes('"name":"alpha"') && t.includes('"name":"beta"'), 20_000)
    await feed.found
    const killedAt = Date.now()
    victim.kill('SIGKILL')
    const removed = waitForOutput(watcher, (t) => /"event":"remove".*"name":"beta"/.test(t), 20_000)
    await removed.found
    const elapsed = Date.now() - killedAt
    console.log(`SIGKILLed daemon removed after ${elapsed} ms (bound: staleMs 3500 + one 1000 ms sweep)`)
    // alpha is still there: only the dead node went.
    expect(removed.text()).not.toMatch(/"event":"remove".*"name":"alpha"/)
  })

  it('gives tasks of a running batch to a daemon that starts mid-batch', async () => {
    const [a, b, c] = lan.hosts as [LanHost, LanHost, LanHost]
    await daemon(a, 'early')
    const dir = await tempDir()
    const tasks = Array.from({ length: 12 }, (_, i) => `sleep 0.5; echo "t${i} on $DISTW_NODE"`).join('\n')
    const submit = lan.distw(c, ['submit', '-', '--no-local', '--wait', '1s'], { cwd: dir, input: tasks })
    const out = waitForOutput(submit, (t) => t.includes('on early'), 30_000)
    await out.found
    await daemon(b, 'late')
    const result = await submit
    expect(result.exitCode).toBe(0)
    expect(out.text()).toMatch(/on late/)
    expect(out.text().match(/t\d+ on (early|late)/g)?.length).toBe(12)
  })

  it.skipIf(zeroconfMissing !== undefined)('is seen with its TXT fields by python-zeroconf', async () => {
    const [a, , c] = lan.hosts as [LanHost, LanHost, LanHost]
    await daemon(a, 'alpha', ['--tag', 'gpu', '--tag', 'ffmpeg'])
    const browse = await lan.exec(c, '/usr/bin/python3', [ZEROCONF, '3'])
    const services = browse.stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { name: string; port: number; addresses: string[]; txt: Record<string, string> })
    expect(services, browse.stderr).toHaveLength(1)
    const [service] = services as [(typeof services)[number]]
    expect(service.name).toMatch(/^alpha \[[0-9a-f]{8}\]\._distw\._tcp\.local\.$/)
    expect(service.port).toBe(7420)
    expect(service.addresses).toContain(a.address)
    expect(service.txt).toMatchObject({ v: '5', name: 'alpha', port: '7420', slots: '1', free: '1', os: 'linux', tags: 'gpu,ffmpeg' })
    expect(service.txt.id).toMatch(/^[0-9a-f-]{36}$/)
  })
})
if (zeroconfMissing && !skip) console.log(`skipping the python-zeroconf test: ${zeroconfMissing}`)
