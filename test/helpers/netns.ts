// A small LAN inside the test run: one network namespace holding a bridge, and one namespace per host
// joined to it by a veth pair, with a multicast route so that mDNS works. Needs root and iproute2;
// `makeLan` returns a reason instead when they are missing. Everything is removed by `destroy()`.
import { execa } from 'execa'
import { execFileSync } from 'node:child_process'
import { CLI } from './cli.js'
import { stopAll, type Stoppable } from './stop.js'

export interface LanHost {
  ns: string
  address: string
}

export type Lan = Awaited<ReturnType<typeof makeLan>>

let counter = 0

/** Why a namespaced LAN cannot be built here, or undefined when it can. */
export function lanUnavailable(): string | undefined {
  if (process.platform !== 'linux') return 'network namespaces need Linux'
  if (process.getuid?.() !== 0) return 'network namespaces need root'
  try {
    execFileSync('ip', ['-V'], { stdio: 'ignore' })
  } catch {
    return 'the `ip` command (iproute2) is missing'
  }
  return undefined
}

// Builds the LAN: host i is 10.99.0.i/24 in namespace <prefix>h<i>.
export async function makeLan(hostCount: number) {
  const prefix = `dw${process.pid}x${counter++}`
  const bridgeNs = `${prefix}br`
  const hosts: LanHost[] = []
  const children = new Set<Stoppable>()
  const ip = (...args: string[]) => execFileSync('ip', args, { stdio: 'pipe' })
  const destroy = async () => {
    await stopAll(children)
    for (const ns of [...hosts.map((h) => h.ns), bridgeNs]) {
      try {
        ip('netns', 'del', ns)
      } catch {
        // already gone (or never made)
      }
    }
  }
  try {
    ip('netns', 'add', bridgeNs)
    ip('-n', bridgeNs, 'link', 'add', 'br0', 'type', 'bridge', 'mcast_snooping', '0')
    ip('-n', bridgeNs, 'link', 'set', 'br0', 'up')
    for (let i = 1; i <= hostCount; i++) {
      const host = { ns: `${prefix}h${i}`, address: `10.99.0.${i}` }
      hosts.push(host)
      ip('netns', 'add', host.ns)
      ip('-n', bridgeNs, 'link', 'add', `v${i}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', host.ns)
      ip('-n', bridgeNs, 'link', 'set', `v${i}`, 'master', 'br0', 'up')
      ip('-n', host.ns, 'addr', 'add', `${host.address}/24`, 'dev', 'eth0')
      ip('-n', host.ns, 'link', 'set', 'eth0', 'up')
      ip('-n', host.ns, 'link', 'set', 'lo', 'up')
      // Without a route for multicast, mDNS fails silently (no default route in a fresh namespace).
      ip('-n', host.ns, 'route', 'add', '224.0.0.0/4', 'dev', 'eth0')
    }
  } catch (error) {
    await destroy()
    throw error
  }
  const track = <T extends Stoppable>(child: T): T => {
    children.add(child)
    void child.finally(() => children.delete(child))
    return child
  }
  return {
    hosts,
    /** Runs `distw ARGS` inside a host's namespace; killed by destroy(). */
    distw: (host: LanHost, args: string[], options: { cwd?: string; input?: string; env?: Record<string, string> } = {}) =>
      track(
        execa('ip', ['netns', 'exec', host.ns, process.execPath, CLI, ...args], {
          reject: false,
          buffer: false,
          cwd: options.cwd ?? process.cwd(),
          // Inside a namespace every interface is the test's own, so discovery may use them all.
          env: { CI: 'true', NO_COLOR: '1', DISTW_INTERFACES: '', ...options.env },
          ...(options.input === undefined ? { stdin: 'ignore' as const } : { input: options.input }),
        }),
      ),
    /** Runs any command inside a host's namespace. */
    exec: (host: LanHost, file: string, args: string[]) =>
      track(execa('ip', ['netns', 'exec', host.ns, file, ...args], { reject: false, env: { DISTW_INTERFACES: '' } })),
    destroy,
  }
}

/** Collects a child's stdout and resolves when `match` finds something in it (rejects on timeout). */
export function waitForOutput(
  child: { stdout: NodeJS.ReadableStream | null },
  match: (text: string) => boolean,
  timeoutMs: number,
): { text: () => string; found: Promise<string> } {
  let text = ''
  let done: (t: string) => void = () => {}
  let timer: NodeJS.Timeout | undefined
  const found = new Promise<string>((resolve, reject) => {
    done = resolve
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms; output so far:\n${text}`)), timeoutMs)
    timer.unref()
  })
  // A caller that only wants the text never awaits `found`: its timeout must not be an unhandled rejection.
  found.catch(() => {})
  child.stdout?.on('data', (d: Buffer) => {
    text += d.toString()
    if (match(text)) {
      clearTimeout(timer)
      done(text)
    }
  })
  return { text: () => text, found }
}
