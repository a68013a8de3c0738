// A stream of task lines piped into `distw submit -` (issue 25 item 2): does the submitter's memory stay
// flat over 200,000 `true` tasks on one loopback daemon, and how long does a line take from stdin to
// its task starting on an idle node? The submitter is the built CLI in its own process, its stdin
// written by this process with backpressure, its `--json` events read to count finished tasks; its RSS
// (VmRSS) is read from /proc at 50k, 100k and 200k finished tasks (scaled with the count), its peak
// (VmHWM) with the last. Baselines, same run: a bare `node -e` for memory; for latency, a bare Node
// `spawn('true')` to its 'spawn' event, one at a time.
// Goals (issue): peak RSS ≤ 200 MiB and flat (the three samples within 20% of each other); median
// line-to-start ≤ 20 ms on loopback.
import { spawn } from 'node:child_process'
import { CLI, memoryOfSync, mib, MiB, ratio, run as exec, secs, startDaemon, table, tempDir, verdict } from './lib/harness.mjs'

export const section = 'stream'
export const title = 'A stream of piped task lines: submitter memory, and a line’s time from stdin to its task starting'

const COUNT = Number(process.env.DISTW_BENCH_STREAM ?? 200_000)
const LATENCY_LINES = Number(process.env.DISTW_BENCH_STREAM_LINES ?? 200)
const SLOTS = 2
const BOUND = 200 * MiB
const FLAT = 1.2
const IDLE = 'process.stdout.write(JSON.stringify({ maxRssBytes: process.resourceUsage().maxRSS * 1024 }) + "\\n")'

export async function run() {
  const idle = (await exec(process.execPath, ['-e', IDLE])).report
  const spawnBase = await spawnLatency(LATENCY_LINES)
  const dir = await tempDir()
  const daemon = await startDaemon(['--slots', String(SLOTS)])
  let memory
  let latency
  try {
    memory = await streamMemory(daemon.peer, dir, COUNT)
    latency = await lineLatency(daemon.peer, dir, LATENCY_LINES)
  } finally {
    await daemon.stop()
  }
  const rss = memory.samples.map((s) => s.rss)
  const spread = Math.max(...rss) / Math.min(...rss)
  const memoryMet = memory.succeeded === COUNT && memory.peak <= BOUND && spread <= FLAT
  const latencyMet = latency.median <= 20
  const count = (n) => n.toLocaleString('en')
  const memoryTable = table(
    ['process', 'finished tasks', 'RSS', 'vs bare Node'],
    [
      ['bare `node -e` doing nothing (baseline)', '—', mib(idle.maxRssBytes), ratio(1)],
      ...memory.samples.map((s) => ['`distw submit -` (VmRSS)', count(s.at), mib(s.rss), ratio(s.rss / idle.maxRssBytes)]),
      ['`distw submit -`, peak (VmHWM)', count(COUNT), mib(memory.peak), ratio(memory.peak / idle.maxRssBytes)],
    ],
  )
  const ms = (x) => `${x.toFixed(1)} ms`
  const latencyTable = table(
    ['path', 'median', 'p90', 'max', 'vs bare spawn'],
    [
      ['bare Node `spawn(true)` to its spawn event (baseline)', ms(spawnBase.median), ms(spawnBase.p90), ms(spawnBase.max), ratio(1)],
      [
        'a line written to `distw submit -` → its `task-started` event',
        ms(latency.median),
        ms(latency.p90),
        ms(latency.max),
        ratio(latency.median / spawnBase.median),
      ],
    ],
  )
  return `${memoryTable}

${latencyTable}

${count(COUNT)} × \`true\` written to the stdin of one \`distw submit - --json --peer …\` process (the built CLI) as fast as it
reads them, run by one loopback daemon with ${SLOTS} slots: ${secs(memory.durationMs)}, ${Math.round(COUNT / (memory.durationMs / 1000))} tasks/s,
${count(memory.succeeded)} succeeded. Latency: ${LATENCY_LINES} lines, each written once the task before it has finished (the node is
idle), timed from the write to the \`task-started\` event read back from the submitter's stdout.

Goals: peak RSS ≤ 200 MiB and flat (the samples within 20% of each other): **peak ${mib(memory.peak)}, samples within
${Math.round((spread - 1) * 100)}%, ${verdict(memoryMet)}**; median line-to-start ≤ 20 ms: **${ms(latency.median)}, ${verdict(latencyMet)}**.`
}

// The submitter with `count` lines piped in; its RSS at a quarter, half and all of the tasks finished.
async function streamMemory(peer, cwd, count) {
  const started = performance.now()
  const child = spawn(process.execPath, [CLI, 'submit', '-', '--json', '--peer', peer, '--no-digest-cache'], {
    cwd,
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, CI: 'true' },
  })
  const marks = [count / 4, count / 2, count].map(Math.round)
  const samples = []
  let peak = 0
  let finished = 0
  let succeeded = 0
  let rest = ''
  let stderr = ''
  child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-4000)))
  // Counted on the raw text (not JSON.parse), so the bench's own reading costs little.
  child.stdout.on('data', (data) => {
    const text = rest + data
    const cut = text.lastIndexOf('\n')
    rest = text.slice(cut + 1)
    for (let i = text.indexOf('"event":"task-finished"'); i >= 0 && i < cut; i = text.indexOf('"event":"task-finished"', i + 1)) {
      finished++
      if (text.startsWith('"status":"succeeded"', text.indexOf('"status":', i))) succeeded++
      if (finished === marks[samples.length]) {
        // Read synchronously: at the last mark the process is about to exit.
        const m = memoryOfSync(child.pid)
        samples.push({ at: finished, rss: m.rss })
        peak = m.peak
      }
    }
  })
  const exited = new Promise((resolve) => child.once('exit', resolve))
  await writeLines(child.stdin, count)
  const code = await exited
  if (code !== 0) throw new Error(`distw submit exited ${code}:\n${stderr}`)
  return { samples, peak, succeeded, durationMs: performance.now() - started }
}

// Writes `count` lines of `true`, waiting for the pipe to drain (the submitter pauses reading while its queue is long).
async function writeLines(stdin, count) {
  const chunk = 'true\n'.repeat(1000)
  for (let written = 0; written < count; written += 1000) {
    const text = count - written >= 1000 ? chunk : 'true\n'.repeat(count - written)
    if (!stdin.write(text)) await new Promise((resolve) => stdin.once('drain', resolve))
  }
  stdin.end()
}

// One line at a time: written once the task before it has finished; timed to its task-started event.
async function lineLatency(peer, cwd, lines) {
  const child = spawn(process.execPath, [CLI, 'submit', '-', '--json', '--peer', peer, '--no-digest-cache'], {
    cwd,
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, CI: 'true' },
  })
  const waiters = []
  let rest = ''
  child.stdout.on('data', (data) => {
    const now = performance.now()
    const text = rest + data
    const all = text.split('\n')
    rest = all.pop() ?? ''
    for (const line of all) {
      const event = JSON.parse(line)
      const i = waiters.findIndex((w) => w.event === event.event && w.task === event.task)
      if (i >= 0) waiters.splice(i, 1)[0].resolve(now)
    }
  })
  const next = (event, task) => new Promise((resolve) => waiters.push({ event, task, resolve }))
  const times = []
  for (let n = 1; n <= lines; n++) {
    const startedAt = next('task-started', `task-${n}`)
    const finishedAt = next('task-finished', `task-${n}`)
    const wrote = performance.now()
    child.stdin.write('true\n')
    times.push((await startedAt) - wrote)
    await finishedAt
  }
  child.stdin.end()
  await new Promise((resolve) => child.once('exit', resolve))
  return stats(times)
}

async function spawnLatency(count) {
  const times = []
  for (let i = 0; i < count; i++) {
    const t0 = performance.now()
    const child = spawn('true', [], { stdio: 'ignore' })
    await new Promise((resolve) => child.once('spawn', resolve))
    times.push(performance.now() - t0)
    await new Promise((resolve) => child.once('exit', resolve))
  }
  return stats(times)
}

function stats(times) {
  const sorted = [...times].sort((a, b) => a - b)
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]
  return { median: at(0.5), p90: at(0.9), max: sorted[sorted.length - 1] }
}
