// A LAN of network namespaces for the benchmarks that need more than one host (discovery, the 16-node
// locality batch): a bridge in a namespace of its own and hosts on it. Root and iproute2 only; nothing
// outside the namespaces made here is touched, and teardown removes them.
import { execFileSync, spawn } from 'node:child_process'
import { which } from './harness.mjs'

const ip = (...args) => execFileSync('ip', args, { stdio: 'pipe' })

// Hosts on one bridge (its own namespace, multicast snooping off), host i at SUBNET.(i + 1), with the
// route mDNS needs.
export function buildLan({ bridge, hosts }, subnet) {
  ip('netns', 'add', bridge)
  ip('-n', bridge, 'link', 'add', 'br0', 'type', 'bridge', 'mcast_snooping', '0')
  ip('-n', bridge, 'link', 'set', 'br0', 'up')
  for (const [i, ns] of hosts.entries()) {
    ip('netns', 'add', ns)
    ip('-n', bridge, 'link', 'add', `v${i}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns)
    ip('-n', bridge, 'link', 'set', `v${i}`, 'master', 'br0', 'up')
    ip('-n', ns, 'addr', 'add', `${subnet}.${i + 1}/24`, 'dev', 'eth0')
    ip('-n', ns, 'link', 'set', 'eth0', 'up')
    ip('-n', ns, 'link', 'set', 'lo', 'up')
    ip('-n', ns, 'route', 'add', '224.0.0.0/4', 'dev', 'eth0')
  }
}

// Deleting a namespace removes its veth end, and with it the pair; the bridge goes with its namespace.
export function teardown({ bridge, hosts }) {
  for (const ns of [...hosts, bridge]) {
    try {
      ip('netns', 'del', ns)
    } catch {}
  }
}

/** `ip netns exec NS node ARGS…` (ip execs the command, so the child's pid is node's); `options`: spawn's (cwd). */
export function inNamespace(ns, args, stdio, options = {}) {
  return spawn('ip', ['netns', 'exec', ns, process.execPath, ...args], { ...options, stdio, env: { ...process.env, DISTW_INTERFACES: '' } })
}

/** SIGTERM, then SIGKILL after 3 s; resolves once the process has exited. */
export function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 3000)
    child.once('exit', () => {
      clearTimeout(kill)
      resolve()
    })
    child.kill('SIGTERM')
  })
}

/** Calls back with each line of a stream. */
export function onLines(stream, f) {
  let rest = ''
  stream.on('data', (d) => {
    rest += d.toString()
    const lines = rest.split('\n')
    rest = lines.pop()
    for (const line of lines) f(line)
  })
}

/**
 * Runs `measure(lan, children)` on a LAN of `count` hosts (namespaces named after `tag`, at `subnet`),
 * then stops every child and removes the LAN. Without root or iproute2, or when the LAN cannot be
 * built, returns why the section `section` was skipped instead.
 */
export async function onLan(section, { tag, count, subnet }, measure) {
  const skipped = (why) => `Skipped: ${why}. Run it as root on a machine with iproute2: \`npm run bench -- ${section}\`.`
  if (process.getuid?.() !== 0) return skipped('it needs root (to create network namespaces)')
  if (!(await which('ip'))) return skipped('`ip` (iproute2) is not installed')
  const prefix = `${tag}${process.pid}`
  const lan = { bridge: `${prefix}br`, hosts: Array.from({ length: count }, (_, i) => `${prefix}h${i + 1}`) }
  const children = []
  try {
    try {
      buildLan(lan, subnet)
    } catch (error) {
      return skipped(`the namespaced LAN could not be built (${String(error.message).split('\n')[0]})`)
    }
    return await measure(lan, children)
  } finally {
    await Promise.all(children.map(stop))
    teardown(lan)
  }
}
