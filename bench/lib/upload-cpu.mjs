// CPU of one upload, on each side: `node bench/lib/upload-cpu.mjs [plain|tls] [SIZE] [ROUNDS]` uploads a
// fresh SIZE (default 1G) input to a fresh daemon ROUNDS times (default 3) and prints, per round, the
// user+sys CPU (/proc/PID/stat) of the submitter (a fresh process, so it hashes the input) and of the
// daemon (until the submitter is done, and until the node's cache holds its own copy), each per GiB,
// with both peak RSS. CPU, unlike wall time, holds on a shared machine. DISTW_PROF=DIR writes
// `--cpu-prof` profiles of both processes there. Not a benchmark section: a tool for the transfer path.
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import fs from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { cleanup, memoryOf, MiB, ROOT_FLAGS, tempDir } from './harness.mjs'

// DISTW_TREE: another checkout's built tree to measure (a before/after pair alternated under one load).
const ROOT = process.env.DISTW_TREE ?? fileURLToPath(new URL('../..', import.meta.url))
const CLI = path.join(ROOT, 'bin/run.js')
const { parseSize } = await import(path.join(ROOT, 'dist/tasks/index.js'))

const wire = process.argv[2] ?? 'plain'
const SIZE = parseSize(process.argv[3] ?? '1G')
const ROUNDS = Number(process.argv[4] ?? 3)
const PROF = process.env.DISTW_PROF
// DISTW_PERF=DIR: `perf record` of both processes instead (kernel time included), JS frames named.
const PERF = process.env.DISTW_PERF
const perfArgs = (name) => ['record', '-F', '499', '-g', '-o', path.join(PERF, `${name}.perf.data`)]
const secret = wire === 'tls' ? randomBytes(32).toString('hex') : undefined
const GiB = 1024 * MiB
process.env.DISTW_INTERFACES ??= 'lo'

// The submitter: the library in a child of its own, reporting its own CPU and peak RSS.
const CHILD = `
import { submit } from ${JSON.stringify(path.join(ROOT, 'dist/lib.js'))}
const c = JSON.parse(process.argv[1])
const started = performance.now()
const batch = await submit({ tasks: c.tasks, cwd: c.cwd, peers: c.peers, ...(c.secret ? { secret: Buffer.from(c.secret, 'utf8') } : {}) })
const u = process.resourceUsage()
process.stdout.write(JSON.stringify({ ok: batch.ok, wallMs: performance.now() - started, user: u.userCPUTime / 1000, sys: u.systemCPUTime / 1000, maxRss: u.maxRSS * 1024 }) + '\\n')
`

async function submitChild(config) {
  const prof = PROF ? ['--cpu-prof', `--cpu-prof-dir=${PROF}`, '--cpu-prof-name=submitter-${pid}.cpuprofile'] : []
  const argv = [...prof, '--input-type=module', '-e', CHILD, JSON.stringify(config)]
  const child = PERF
    ? spawn('perf', [...perfArgs('submitter'), '--', process.execPath, '--perf-basic-prof', ...argv], {
        stdio: ['ignore', 'pipe', 'ignore'],
      })
    : spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  child.stdout.on('data', (d) => (out += d))
  const [code] = await once(child, 'exit')
  if (code !== 0) throw new Error(`submitter exited ${code}`)
  return JSON.parse(out.trim().split('\n').pop())
}

// The daemon from the built CLI on a free loopback port (its own, to give Node --cpu-prof).
async function startDaemon(args, env) {
  const workDir = await tempDir('distw-upload-cpu-node-')
  const prof = PROF ? ['--cpu-prof', `--cpu-prof-dir=${PROF}`, '--cpu-prof-name=daemon-${pid}.cpuprofile'] : []
  if (PERF) prof.push('--perf-basic-prof')
  // DISTW_DAEMON_NODE_ARGS: more Node flags for the daemon (--trace-gc, ...), its stderr then shown.
  const more = process.env.DISTW_DAEMON_NODE_ARGS?.split(' ').filter(Boolean) ?? []
  prof.push(...more)
  const child = spawn(process.execPath, [...prof, CLI, 'daemon', '--port', '0', '--work-dir', workDir, ...ROOT_FLAGS, ...args], {
    stdio: ['ignore', 'pipe', more.length > 0 ? 'inherit' : 'ignore'],
    env: { ...process.env, ...env },
  })
  let out = ''
  child.stdout.on('data', (d) => {
    out += d
    if (more.length > 0) process.stderr.write(d)
  })
  while (!/listening on wss?:\/\/(\S+)/.test(out)) await once(child.stdout, 'data')
  const peer = /listening on wss?:\/\/(\S+)/.exec(out)[1]
  const stop = async () => {
    child.kill('SIGTERM')
    if (child.exitCode === null) await once(child, 'exit')
  }
  return { pid: child.pid, peer, workDir, memory: () => memoryOf(child.pid), stop }
}

const dir = await tempDir()
const input = path.join(dir, 'in.bin')
const block = randomBytes(16 * MiB)
const handle = await fs.open(input, 'w')
for (let left = SIZE; left > 0; left -= block.length) await handle.write(block, 0, Math.min(left, block.length))
await handle.close()
const tasks = `${JSON.stringify({ name: 'up', run: 'true', inputs: ['in.bin'] })}\n`
const perGiB = (ms) => Math.round((ms * GiB) / SIZE)
const TICK_MS = 10 // USER_HZ on Linux
// user and sys CPU of a process so far, in ms (fields 14 and 15 of /proc/PID/stat).
async function cpuOf(pid) {
  const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return { user: Number(fields[11]) * TICK_MS, sys: Number(fields[12]) * TICK_MS }
}
const spent = (a, b) => `${perGiB(b.user + b.sys - a.user - a.sys)} (${perGiB(b.user - a.user)}+${perGiB(b.sys - a.sys)})`

try {
  for (let round = 0; round < ROUNDS; round++) {
    const env = secret ? { DISTW_SECRET: secret } : {}
    const daemon = await startDaemon(['--slots', '1', ...(secret ? ['--bind', '127.0.0.1'] : [])], env)
    try {
      const before = await cpuOf(daemon.pid)
      const perf = PERF && spawn('perf', [...perfArgs('daemon'), '-p', String(daemon.pid)], { stdio: 'ignore' })
      if (perf) await new Promise((r) => setTimeout(r, 500))
      const sub = await submitChild({ tasks, cwd: dir, peers: [daemon.peer], secret })
      if (!sub.ok) throw new Error('the upload failed')
      const atEnd = await cpuOf(daemon.pid)
      // The node's cache copy is made from the file lent to the task, after the task has it.
      const blobs = path.join(daemon.workDir, 'cache', 'blobs')
      for (let i = 0; i < 6000 && (await fs.readdir(blobs)).length === 0; i++) await new Promise((r) => setTimeout(r, 10))
      await new Promise((r) => setTimeout(r, 50))
      const stored = await cpuOf(daemon.pid)
      if (perf) {
        perf.kill('SIGINT')
        await once(perf, 'exit')
      }
      const mem = await daemon.memory()
      const load = (await fs.readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).join(' ')
      console.log(
        `${wire} ${SIZE / MiB} MiB, CPU ms/GiB (user+sys): submitter ${perGiB(sub.user + sub.sys)} (${perGiB(sub.user)}+${perGiB(sub.sys)}), ` +
          `peak ${Math.round(sub.maxRss / MiB)} MiB; daemon ${spent(before, atEnd)} until done, ${spent(before, stored)} with the cache copy, ` +
          `peak ${Math.round(mem.peak / MiB)} MiB; wall ${(sub.wallMs / 1000).toFixed(2)} s; load ${load}`,
      )
    } finally {
      await daemon.stop()
    }
  }
} finally {
  await cleanup()
}
