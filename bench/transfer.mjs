// Benchmarks 3 and 4: a 1 GiB input uploaded and a 1 GiB output returned, against a raw Node TCP socket
// copying the same bytes disk to disk on loopback (goal ≥ 0.5 × raw, hashing included; peak RSS of
// daemon and submitter ≤ 200 MiB each); then the same batch resubmitted (goal: 0 payload bytes).
// DISTW_BENCH_SIZE (e.g. 64M) shrinks the transfer for a quick check.
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import fs from 'node:fs/promises'
import path from 'node:path'
import { parseSize } from '../dist/tasks/index.js'
import { mib, MiB, ratio, ROOT, runChild, secs, startDaemon, table, tempDir, verdict } from './lib/harness.mjs'

export const section = 'transfer'
export const title = 'Bulk transfer: 1 GiB up, 1 GiB back, and a resubmission'

const SIZE = parseSize(process.env.DISTW_BENCH_SIZE ?? '1G')
const RSS_GOAL = 200 * MiB

// Raw baseline: one process receives into a file, another sends a file; timed by the receiver.
async function rawCopy(file, dest) {
  const recv = spawn(process.execPath, [path.join(ROOT, 'bench/lib/tcp-copy.mjs'), JSON.stringify({ mode: 'recv', dest })])
  const exited = once(recv, 'exit') // attached now: the receiver may exit before the sender's report is read
  let out = ''
  recv.stdout.on('data', (d) => (out += d))
  while (!/port (\d+)/.test(out)) await once(recv.stdout, 'data')
  const port = Number(/port (\d+)/.exec(out)[1])
  const sender = await runChild('tcp-copy.mjs', { mode: 'send', file, port })
  await exited
  const report = JSON.parse(out.trim().split('\n').pop())
  await fs.rm(dest, { force: true })
  return { durationMs: report.durationMs, recvRss: report.maxRssBytes, sendRss: sender.maxRssBytes }
}

async function writeInput(file) {
  // A random block repeated: incompressible enough for a wire that does not compress, and quick to make.
  const block = randomBytes(16 * MiB)
  const handle = await fs.open(file, 'w')
  for (let left = SIZE; left > 0; left -= block.length) await handle.write(block, 0, Math.min(left, block.length))
  await handle.close()
}

// What writing the bytes into a new file costs on this machine, alone: any copy pays it once per copy.
async function writeOnly(file) {
  const started = performance.now()
  await writeInput(file)
  const durationMs = performance.now() - started
  await fs.rm(file, { force: true })
  return durationMs
}

async function batch(dir, name, task) {
  const tasksFile = path.join(dir, `${name}.tasks`)
  await fs.writeFile(tasksFile, `${JSON.stringify(task)}\n`)
  return tasksFile
}

export async function run() {
  const dir = await tempDir()
  const input = path.join(dir, 'in.bin')
  await writeInput(input)
  const raw = await rawCopy(input, path.join(dir, 'raw-copy.bin'))
  const writeMs = await writeOnly(path.join(dir, 'write-only.bin'))

  // Up, then the same batch again, on one daemon.
  const upTasks = await batch(dir, 'up', { name: 'up', run: 'true', inputs: ['in.bin'] })
  let daemon = await startDaemon(['--slots', '1'])
  const bufferutil = /bufferutil=true/.test(daemon.log())
  let up, again, cached, upDaemon, upHelper
  try {
    up = await runChild('submit-child.mjs', { tasksFile: upTasks, cwd: dir, peers: [daemon.peer] })
    again = await runChild('submit-child.mjs', { tasksFile: upTasks, cwd: dir, peers: [daemon.peer] })
    // With distw submit's digest cache: one run to fill it, then the one measured.
    const digestStore = path.join(dir, 'digests.json')
    await runChild('submit-child.mjs', { tasksFile: upTasks, cwd: dir, peers: [daemon.peer], digestStore })
    cached = await runChild('submit-child.mjs', { tasksFile: upTasks, cwd: dir, peers: [daemon.peer], digestStore })
    upDaemon = await daemon.memory()
    upHelper = await daemon.helperMemory()
  } finally {
    await daemon.stop()
  }
  if (!up.ok || !again.ok || !cached.ok)
    throw new Error(`upload batch failed: ${up.firstFailure ?? again.firstFailure ?? cached.firstFailure}`)

  // Down, on a fresh daemon so its peak is this direction's alone.
  const downTasks = await batch(dir, 'down', { name: 'down', run: `head -c ${SIZE} /dev/zero > out.bin` })
  daemon = await startDaemon(['--slots', '1'])
  let down, downDaemon, downHelper
  try {
    down = await runChild('submit-child.mjs', { tasksFile: downTasks, cwd: dir, peers: [daemon.peer] })
    downDaemon = await daemon.memory()
    downHelper = await daemon.helperMemory()
  } finally {
    await daemon.stop()
  }
  if (!down.ok || down.bytesDown !== SIZE) throw new Error(`download batch failed: ${down.firstFailure}`)

  const rate = (ms) => `${(SIZE / MiB / (ms / 1000)).toFixed(0)} MiB/s`
  const upRatio = raw.durationMs / up.durationMs
  const downRatio = raw.durationMs / down.durationMs
  const peaks = [upDaemon.peak, downDaemon.peak, up.maxRssBytes, down.maxRssBytes]
  return `${table(
    ['transfer', 'time', 'rate', 'vs raw TCP', 'daemon peak RSS', 'submitter peak RSS'],
    [
      ['raw Node TCP copy, file → socket → file (baseline)', secs(raw.durationMs), rate(raw.durationMs), '1.00', '—', '—'],
      ['writing the same bytes into a new file, nothing else', secs(writeMs), rate(writeMs), ratio(raw.durationMs / writeMs), '—', '—'],
      [
        `distw upload (${mib(up.bytesUp)} sent)`,
        secs(up.durationMs),
        rate(up.durationMs),
        ratio(upRatio),
        mib(upDaemon.peak),
        mib(up.maxRssBytes),
      ],
      [
        'distw output returned',
        secs(down.durationMs),
        rate(down.durationMs),
        ratio(downRatio),
        mib(downDaemon.peak),
        mib(down.maxRssBytes),
      ],
      [
        `same batch resubmitted (${again.bytesUp} bytes sent)`,
        secs(again.durationMs),
        rate(again.durationMs),
        ratio(raw.durationMs / again.durationMs),
        '—',
        mib(again.maxRssBytes),
      ],
      [
        `resubmitted, input digest remembered from an earlier run (${cached.bytesUp} bytes sent)`,
        secs(cached.durationMs),
        rate(cached.durationMs),
        ratio(raw.durationMs / cached.durationMs),
        '—',
        mib(cached.maxRssBytes),
      ],
    ],
  )}

Size: ${mib(SIZE)}. ws native bufferutil loaded in the daemon: ${bufferutil ? 'yes' : '**no**'}; perMessageDeflate off on both sides.

- Upload goal ≥ 0.5 × raw, hashing included: **${upRatio.toFixed(3)}×, ${verdict(upRatio >= 0.5)}**. The upload time is the whole batch
  as the submitter sees it: hashing the input (a fresh process, so no cached digest), the have/need
  exchange, streaming, the daemon hashing what arrives and writing it twice (the cache's file and the
  spare copy for the task folder), renaming them into place, running \`true\`, cleaning up.
- Return goal ≥ 0.5 × raw: **${downRatio.toFixed(3)}×, ${verdict(downRatio >= 0.5)}**. It includes the task writing the file
  (\`head -c … /dev/zero > out.bin\`) and the node diffing its folder.
- Writing the bytes into a new file, alone, takes ${secs(writeMs)} (${ratio(writeMs / raw.durationMs)} the raw copy's time). The raw
  copy writes the bytes once; distw writes them twice in each direction (upload: into the node's cache,
  and the copy for the task folder that keeps a task from changing the cache, both as the bytes arrive;
  return: the task writing its output, then the submitter's file). Two writes alone allow at most **${ratio(raw.durationMs / (2 * writeMs))}** of the raw
  copy here, before any hashing or framing.
- Peak RSS goal ≤ 200 MiB for daemon and submitter: **${verdict(peaks.every((p) => p <= RSS_GOAL))}** (largest ${mib(Math.max(...peaks))}).
- Resubmission goal 0 payload bytes: **${again.bytesUp} bytes, ${verdict(again.bytesUp === 0)}**. The first resubmission
  hashes the input again (a fresh process given no digest cache); \`distw submit\` remembers digests across runs
  (~/.cache/distw/digests.json), so the last row is its resubmission: what is left is the node copying the blob
  into the task folder.
- The daemon's spawn helper (a process of its own that starts the tasks and relays their output) peaked
  at ${mib(upHelper.peak)} (upload) and ${mib(downHelper.peak)} (return).
- The raw copy's processes peaked at ${mib(raw.sendRss)} (sender) and ${mib(raw.recvRss)} (receiver).`
}
