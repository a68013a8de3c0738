// A LAN of 16: 16 daemons (1 slot each) in network namespaces of their own on one bridge, and one
// submitter on a 17th host that names none of them (it finds them by mDNS and UDP broadcast), running
// 5,000 × `true`. Reports the batch's tasks/s, the submitter's CPU per task (user + sys, start-up
// subtracted) and how evenly the tasks spread over the nodes. Needs root and iproute2, else skipped.
// All 17 hosts share this machine's cores: the figures say what one submitter costs, not what 16
// machines would run.
import fs from 'node:fs/promises'
import path from 'node:path'
import { cpuOf } from './lib/cpu-time.mjs'
import { CLI, secs, table, tempDir } from './lib/harness.mjs'
import { inNamespace, onLan, onLines } from './lib/netns.mjs'

export const section = 'lan'
export const title = 'LAN of 16: one submitter, 16 daemons found with no configuration'

const NODES = 16
const COUNT = Number(process.env.DISTW_BENCH_LAN ?? 5000)
const WARM_UP = NODES

export function run() {
  return onLan(section, { tag: 'dwl', count: NODES + 1, subnet: '10.97.0' }, measure)
}

async function measure({ hosts }, children) {
  const submitHost = hosts[NODES]
  const started = new Map() // node name → tasks it started (its log's `task started` lines)
  await Promise.all(
    hosts.slice(0, NODES).map(async (ns, i) => {
      const name = `n${String(i + 1).padStart(2, '0')}`
      const workDir = await tempDir('distw-bench-node-')
      const args = ['daemon', '--bind', '0.0.0.0', '--insecure', '--allow-root', '--slots', '1', '--name', name, '--work-dir', workDir]
      const daemon = inNamespace(ns, [CLI, ...args], ['ignore', 'pipe', 'pipe'])
      children.push(daemon)
      started.set(name, 0)
      onLines(daemon.stderr, (line) => line.includes(' task started ') && started.set(name, started.get(name) + 1))
      await new Promise((resolve, reject) => {
        onLines(daemon.stdout, (l) => l.includes('listening on') && resolve())
        daemon.once('exit', (code) => reject(new Error(`daemon ${name} exited (${code}) before listening`)))
      })
    }),
  )

  const dir = await tempDir()
  await fs.writeFile(path.join(dir, 'warm.txt'), 'true\n'.repeat(WARM_UP))
  await fs.writeFile(path.join(dir, 'tasks.txt'), 'true\n'.repeat(COUNT))
  const warm = await submit(submitHost, dir, 'warm.txt', children)
  for (const name of started.keys()) started.set(name, 0)
  const batch = await submit(submitHost, dir, 'tasks.txt', children)

  const counts = [...started.values()]
  const mean = COUNT / NODES
  const sd = Math.sqrt(counts.reduce((s, c) => s + (c - mean) ** 2, 0) / NODES)
  const perTask = (batch.cpu - warm.cpu) / (COUNT - WARM_UP)
  const rate = COUNT / (batch.wallMs / 1000)
  const rows = [
    [
      `${COUNT.toLocaleString('en')} × \`true\`, ${NODES} nodes × 1 slot`,
      secs(batch.wallMs),
      Math.round(rate),
      `${perTask.toFixed(3)} ms`,
      Math.round(1000 / perTask).toLocaleString('en'),
      `${Math.min(...counts)}–${Math.max(...counts)} (mean ${mean.toFixed(1)}, sd ${sd.toFixed(1)})`,
    ],
  ]
  return `${table(['batch', 'wall', 'tasks/s', 'submitter CPU a task', 'submitter ceiling, tasks/s a core', 'tasks per node'], rows)}

${NODES} daemons (\`--bind 0.0.0.0 --insecure --slots 1\`), each in a network namespace of its own on one bridge,
and \`distw submit tasks.txt --no-local\` on a ${NODES + 1}th: no peer named, the nodes found by mDNS and broadcast
(\`--no-local\` only keeps the submitter from running tasks itself). All ${NODES + 1} hosts share this machine's
cores, so the wall time is this machine's, not a LAN's. The submitter's CPU is its whole process less that of a
batch of ${WARM_UP} first (${secs(warm.cpu)}: start-up, discovery, connecting to ${NODES} nodes), over the rest;
its ceiling is 1 s of CPU over that. Wall time includes the discovery window. Tasks per node: the
\`task started\` lines in each daemon's log.`
}

// `distw submit FILE --no-local` on the submitter's host; its CPU is what this process gains in reaped
// children's time (ip execs node, so the child is the submitter itself).
async function submit(ns, cwd, file, children) {
  const before = cpuOf()
  const startedAt = performance.now()
  const child = inNamespace(ns, [CLI, 'submit', file, '--no-local'], ['ignore', 'ignore', 'pipe'], { cwd })
  children.push(child)
  let err = ''
  child.stderr.on('data', (d) => (err += d))
  const code = await new Promise((resolve) => child.once('exit', resolve))
  const wallMs = performance.now() - startedAt
  if (code !== 0 || !/ 0 failed/.test(err)) throw new Error(`the batch failed (${code}):\n${err.slice(-2000)}`)
  return { cpu: cpuOf().children - before.children, wallMs }
}
