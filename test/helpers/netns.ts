// A small LAN inside the test run: one network namespace holding a bridge, and one namespace per host
// joined to it by a veth pair, with a multicast route so that mDNS works. Needs root and iproute2;
// `lanUnavailable` says why when they are missing. Everything is removed by `destroy()`, every process
// left in its namespaces too.
import { execa } from 'execa'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { CLI, distwOnPath } from './cli.js'
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

export interface LanOptions {
  /** Host i's address with its prefix length, e.g. 192.168.1.20/24 (default 10.99.0.i/24). */
  addresses?: string[]
}

// Builds the LAN: host i is 10.99.0.i/24 (or options.addresses[i-1]) in namespace <prefix>h<i>.
export async function makeLan(hostCount: number, options: LanOptions = {}) {
  const prefix = `dw${process.pid}x${counter++}`
  const bridgeNs = `${prefix}br`
  const hosts: LanHost[] = []
  const children = new Set<Stoppable>()
  const folders: string[] = []
  const ip = (...args: string[]) => execFileSync('ip', args, { stdio: 'pipe' })
  const destroy = async () => {
    // Everything a test started in a namespace is in it (its `ip netns exec` too): ended there first, so
    // that no grandchild holds a tracked child's pipes open.
    for (const host of hosts) await killAllIn(host.ns)
    await stopAll(children)
    for (const dir of folders) rmSync(dir, { recursive: true, force: true })
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
      const cidr = options.addresses?.[i - 1] ?? `10.99.0.${i}/24`
      const host = { ns: `${prefix}h${i}`, address: cidr.replace(/\/\d+$/, '') }
      hosts.push(host)
      ip('netns', 'add', host.ns)
      ip('-n', bridgeNs, 'link', 'add', `v${i}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', host.ns)
      ip('-n', bridgeNs, 'link', 'set', `v${i}`, 'master', 'br0', 'up')
      ip('-n', host.ns, 'addr', 'add', cidr, 'dev', 'eth0')
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
    /**
     * Runs a shell script (a README example, verbatim) inside a host's namespace, `distw` on its PATH,
     * with a /var/tmp of its own (a tmpfs) and, given `hosts`, that text as its /etc/hosts: both mounted
     * in the mount namespace `ip netns exec` makes, so the machine's own files are never touched.
     * It leads a process group of its own: `interrupt` signals the whole group, as Ctrl-C does.
     * Killed by destroy(); never rejects.
     */
    shell: (host: LanHost, script: string, options: NamespaceShellOptions) => {
      const mounts = ['mount -t tmpfs distw-test /var/tmp']
      if (options.hosts !== undefined) {
        const dir = mkdtempSync(path.join(os.tmpdir(), 'distw-hosts-'))
        folders.push(dir)
        writeFileSync(path.join(dir, 'hosts'), options.hosts)
        mounts.push(`mount --bind '${path.join(dir, 'hosts')}' /etc/hosts`)
      }
      const prelude = `set -e; ${mounts.join('; ')}; exec sh -c "$1"`
      return track(
        execa('ip', ['netns', 'exec', host.ns, 'sh', '-c', prelude, 'sh', script], {
          reject: false,
          cwd: options.cwd,
          stdin: 'ignore',
          detached: true,
          env: {
            CI: 'true',
            NO_COLOR: '1',
            DISTW_INTERFACES: '',
            ...options.env,
            PATH: `${distwOnPath()}:${process.env.PATH ?? ''}`,
          },
        }),
      )
    },
    /** Sends `signal` to the process group of a child `shell` started (the script and what it runs). */
    interrupt: (child: { pid?: number | undefined }, signal: NodeJS.Signals = 'SIGINT') => {
      if (child.pid !== undefined) process.kill(-child.pid, signal)
    },
    /** Runs any command inside a host's namespace. */
    exec: (host: LanHost, file: string, args: string[]) =>
      track(execa('ip', ['netns', 'exec', host.ns, file, ...args], { reject: false, env: { DISTW_INTERFACES: '' } })),
    destroy,
  }
}

export interface NamespaceShellOptions {
  cwd: string
  env?: Record<string, string>
  /** The text of /etc/hosts for the script (e.g. `192.168.1.20 box`). */
  hosts?: string
}

// Ends every process still in a namespace (a task a daemon left, a server a script started): TERM, then
// KILL after a grace. They are all the test's: the namespace is.
async function killAllIn(ns: string): Promise<void> {
  const pids = () => {
    try {
      return execFileSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number)
    } catch {
      return []
    }
  }
  const signal = (sig: NodeJS.Signals) => {
    for (const pid of pids()) {
      try {
        process.kill(pid, sig)
      } catch {
        // gone since it was listed
      }
    }
  }
  signal('SIGTERM')
  for (let i = 0; i < 50 && pids().length > 0; i++) await new Promise((resolve) => setTimeout(resolve, 100))
  signal('SIGKILL')
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
