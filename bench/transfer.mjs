// Benchmarks 3 and 4: a 1 GiB input uploaded and a 1 GiB output returned, against a raw Node TCP socket
// copying the same bytes disk to disk on loopback (goal ≥ 0.5 × raw, hashing included; peak RSS of
// daemon and submitter ≤ 200 MiB each); then the same batch resubmitted (goal: 0 payload bytes). Both
// directions also as a pool runs them by default, over TLS with the pool's pre-shared key (goal ≥ 0.45 × raw).
// DISTW_BENCH_SIZE (e.g. 64M) shrinks the transfer for a quick check; DISTW_BENCH_ROUNDS (default 2)
// sets how many alternating rounds of baselines and distw are run, the best of each kept.
import { spawn } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { once } from 'node:events'
import fs from 'node:fs/promises'
import path from 'node:path'
import tls from 'node:tls'
import { MALLOC_TUNABLES } from '../dist/daemon/service/malloc-tunables.js'
import { tlsClientOptions } from '../dist/protocol/tls.js'
import { parseSize } from '../dist/tasks/index.js'
import { mib, MiB, ratio, ROOT, runChild, secs, startDaemon, table, tempDir, verdict } from './lib/harness.mjs'

export const section = 'transfer'
export const title = 'Bulk transfer: 1 GiB up, 1 GiB back, and a resubmission'

const SIZE = parseSize(process.env.DISTW_BENCH_SIZE ?? '1G')
const RSS_GOAL = 200 * MiB
const ROUNDS = Number(process.env.DISTW_BENCH_ROUNDS ?? 2)
const ENCRYPTED_GOAL = 0.45
// A pool's secret for the encrypted rows: with it the daemon and the submitter speak TLS with the pool's
// key, as every pool does by default. The daemon stays on loopback (a secret alone would open the LAN).
const POOL_SECRET = randomBytes(32).toString('hex')
const POOL = { daemonArgs: ['--bind', '127.0.0.1'], env: { DISTW_SECRET: POOL_SECRET }, secret: POOL_SECRET }
const PLAIN = { daemonArgs: [], env: {} }

// The cipher suite a pool's client and node agree on, asked of the node itself by a bare TLS handshake.
async function negotiatedCipher(peer) {
  const [host, port] = [peer.slice(0, peer.lastIndexOf(':')), Number(peer.slice(peer.lastIndexOf(':') + 1))]
  const socket = tls.connect({ host, port, ...tlsClientOptions(Buffer.from(POOL_SECRET, 'utf8')) })
  try {
    await once(socket, 'secureConnect')
    return socket.getCipher().name
  } finally {
    socket.destroy()
  }
}

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

// One upload on a fresh daemon; on the last round also the same batch again, twice (without and with
// distw submit's digest cache), on that daemon.
async function uploadRound(dir, upTasks, digest, resubmit, env = {}, wire = PLAIN) {
  const daemon = await startDaemon(['--slots', '1', ...wire.daemonArgs], { ...env, ...wire.env })
  const bufferutil = /bufferutil=true/.test(daemon.log())
  try {
    const cipher = wire.secret ? await negotiatedCipher(daemon.peer) : undefined
    const up = await runChild('submit-child.mjs', { tasksFile: upTasks, cwd: dir, peers: [daemon.peer], secret: wire.secret })
    // The node's own cache copy is made from the file lent to the task, after the task has it.
    const exited = performance.now()
    const blob = path.join(daemon.workDir, 'cache', 'blobs', digest.slice(0, 2), digest)
    while (
      !(await fs.access(blob).then(
        () => true,
        () => false,
      ))
    )
      await new Promise((r) => setTimeout(r, 5))
    up.storedMs = up.durationMs + (performance.now() - exited)
    let again, cached
    if (resubmit) {
      again = await runChild('submit-child.mjs', { tasksFile: upTasks, cwd: dir, peers: [daemon.peer] })
      // With distw submit's digest cache: one run to fill it, then the one measured.
      const digestStore = path.join(dir, 'digests.json')
      await runChild('submit-child.mjs', { tasksFile: upTasks, cwd: dir, peers: [daemon.peer], digestStore })
      cached = await runChild('submit-child.mjs', { tasksFile: upTasks, cwd: dir, peers: [daemon.peer], digestStore })
    }
    for (const r of [up, again, cached]) if (r && !r.ok) throw new Error(`upload batch failed: ${r.firstFailure}`)
    return { up, again, cached, bufferutil, cipher, daemon: await daemon.memory(), helper: await daemon.helperMemory() }
  } finally {
    await daemon.stop()
  }
}

// One return on a fresh daemon, so its peak is this direction's alone.
async function returnRound(dir, downTasks, wire = PLAIN) {
  const daemon = await startDaemon(['--slots', '1', ...wire.daemonArgs], wire.env)
  try {
    const down = await runChild('submit-child.mjs', { tasksFile: downTasks, cwd: dir, peers: [daemon.peer], secret: wire.secret })
    if (!down.ok || down.bytesDown !== SIZE) throw new Error(`download batch failed: ${down.firstFailure}`)
    if (down.bytesUp !== 0) throw new Error(`the return batch sent ${down.bytesUp} bytes: it must time the return alone`)
    return { down, daemon: await daemon.memory(), helper: await daemon.helperMemory() }
  } finally {
    await daemon.stop()
    // A returned out.bin left in the submit folder would be the next return's input (a task line carries
    // the files it names), and \`ln\` onto it fails.
    await fs.rm(path.join(dir, 'out.bin'), { force: true })
  }
}

export async function run() {
  const dir = await tempDir()
  const input = path.join(dir, 'in.bin')
  await writeInput(input)
  const digest = createHash('sha256')
  for await (const chunk of createReadStream(input)) digest.update(chunk)
  const inputDigest = digest.digest('hex')
  const upTasks = await batch(dir, 'up', { name: 'up', run: 'true', inputs: ['in.bin'] })
  // The output already exists when the task ends, as the raw copy's file does: the task links the input
  // (same bytes, in the page cache like the raw copy's) as its output, so the row measures the return
  // alone. The second batch also has its task write the output first, as a real task would.
  // `inputs: []`: the line names in.bin (an absolute path inside the submit folder), which a line
  // without `inputs` would carry as an input since the shell front door, hashing and sending 1 GiB
  // before the return it is meant to time (the return rows read 0.2x from then on).
  const downTasks = await batch(dir, 'down', { name: 'down', run: `ln ${JSON.stringify(input)} out.bin`, inputs: [] })
  const writtenTasks = await batch(dir, 'written', { name: 'written', run: `head -c ${SIZE} /dev/zero > out.bin`, inputs: [] })

  // Baselines and distw alternate, best of ROUNDS each: this machine's write speed drifts by 2-3x
  // within minutes, and one round of each made the ratios mostly noise. Peaks are the largest seen.
  const times = {
    'raw copy': [],
    'write alone': [],
    upload: [],
    'upload, service env': [],
    'upload, encrypted': [],
    return: [],
    'return, task writing it': [],
    'return, encrypted': [],
  }
  const peak = { upDaemon: 0, upHelper: 0, downDaemon: 0, downHelper: 0, up: 0, down: 0 }
  // The encrypted rows' own peaks, to set beside the plain ones (the goal: unchanged).
  const tlsPeak = { upDaemon: 0, downDaemon: 0, up: 0, down: 0 }
  let raw, up, upService, down, written, again, cached, bufferutil, upTls, downTls, cipher
  for (let round = 0; round < ROUNDS; round++) {
    const r = await rawCopy(input, path.join(dir, 'raw-copy.bin'))
    const w = await writeOnly(path.join(dir, 'write-only.bin'))
    const u = await uploadRound(dir, upTasks, inputDigest, round === ROUNDS - 1)
    // The daemon as its systemd unit starts it: with glibc malloc tunables (src/daemon/service/malloc-tunables.ts).
    const us = await uploadRound(dir, upTasks, inputDigest, false, { GLIBC_TUNABLES: MALLOC_TUNABLES })
    const ut = await uploadRound(dir, upTasks, inputDigest, false, {}, POOL)
    const d = await returnRound(dir, downTasks)
    const dw = await returnRound(dir, writtenTasks)
    const dt = await returnRound(dir, downTasks, POOL)
    cipher = ut.cipher
    if (!upTls || ut.up.durationMs < upTls.durationMs) upTls = ut.up
    if (!downTls || dt.down.durationMs < downTls.durationMs) downTls = dt.down
    if (!upService || us.up.durationMs < upService.durationMs) upService = us.up
    if (!raw || r.durationMs < raw.durationMs) raw = r
    if (!up || u.up.durationMs < up.durationMs) up = u.up
    if (!down || d.down.durationMs < down.durationMs) down = d.down
    if (!written || dw.down.durationMs < written.durationMs) written = dw.down
    if (u.again) ({ again, cached } = u)
    bufferutil = u.bufferutil
    for (const [name, ms] of Object.entries({
      'raw copy': r.durationMs,
      'write alone': w,
      upload: u.up.durationMs,
      'upload, service env': us.up.durationMs,
      'upload, encrypted': ut.up.durationMs,
      return: d.down.durationMs,
      'return, task writing it': dw.down.durationMs,
      'return, encrypted': dt.down.durationMs,
    }))
      times[name].push(ms)
    peak.upDaemon = Math.max(peak.upDaemon, u.daemon.peak, us.daemon.peak)
    peak.upHelper = Math.max(peak.upHelper, u.helper.peak)
    peak.up = Math.max(peak.up, u.up.maxRssBytes, us.up.maxRssBytes, u.again?.maxRssBytes ?? 0, u.cached?.maxRssBytes ?? 0)
    peak.downDaemon = Math.max(peak.downDaemon, d.daemon.peak, dw.daemon.peak)
    peak.downHelper = Math.max(peak.downHelper, d.helper.peak, dw.helper.peak)
    peak.down = Math.max(peak.down, d.down.maxRssBytes, dw.down.maxRssBytes)
    tlsPeak.upDaemon = Math.max(tlsPeak.upDaemon, ut.daemon.peak)
    tlsPeak.up = Math.max(tlsPeak.up, ut.up.maxRssBytes)
    tlsPeak.downDaemon = Math.max(tlsPeak.downDaemon, dt.daemon.peak)
    tlsPeak.down = Math.max(tlsPeak.down, dt.down.maxRssBytes)
  }
  const writeMs = Math.min(...times['write alone'])
  const allRounds = Object.entries(times)
    .map(([name, list]) => `${name} ${list.map((ms) => (ms / 1000).toFixed(2)).join(' / ')} s`)
    .join('; ')

  const rate = (ms) => `${(SIZE / MiB / (ms / 1000)).toFixed(0)} MiB/s`
  const upRatio = raw.durationMs / up.durationMs
  const upServiceRatio = raw.durationMs / upService.durationMs
  const downRatio = raw.durationMs / down.durationMs
  const upTlsRatio = raw.durationMs / upTls.durationMs
  const downTlsRatio = raw.durationMs / downTls.durationMs
  const peaks = [peak.upDaemon, peak.downDaemon, peak.up, peak.down]
  const tlsPeaks = Object.values(tlsPeak)
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
        mib(peak.upDaemon),
        mib(peak.up),
      ],
      [
        "distw upload, until the node's cache holds its own copy too",
        secs(up.storedMs),
        rate(up.storedMs),
        ratio(raw.durationMs / up.storedMs),
        '',
        '',
      ],
      [
        "distw upload, daemon with its systemd unit's environment (glibc malloc tunables)",
        secs(upService.durationMs),
        rate(upService.durationMs),
        ratio(upServiceRatio),
        '',
        '',
      ],
      [
        `distw upload, encrypted (a pool: TLS with its key, ${cipher})`,
        secs(upTls.durationMs),
        rate(upTls.durationMs),
        ratio(upTlsRatio),
        mib(tlsPeak.upDaemon),
        mib(tlsPeak.up),
      ],
      ['distw output returned', secs(down.durationMs), rate(down.durationMs), ratio(downRatio), mib(peak.downDaemon), mib(peak.down)],
      [
        'distw output returned, the task writing it first',
        secs(written.durationMs),
        rate(written.durationMs),
        ratio(raw.durationMs / written.durationMs),
        '',
        '',
      ],
      [
        'distw output returned, encrypted',
        secs(downTls.durationMs),
        rate(downTls.durationMs),
        ratio(downTlsRatio),
        mib(tlsPeak.downDaemon),
        mib(tlsPeak.down),
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

Size: ${mib(SIZE)}. Baselines and distw alternate, best of ${ROUNDS} rounds each (${allRounds}); peak RSS is the largest of all rounds. ws native bufferutil loaded in the daemon: ${bufferutil ? 'yes' : '**no**'}; perMessageDeflate off on both sides.

- Upload goal ≥ 0.5 × raw, hashing included: **${upRatio.toFixed(3)}×, ${verdict(upRatio >= 0.5)}**. The upload time is the whole batch
  as the submitter sees it: hashing the input (a fresh process, so no cached digest), the have/need
  exchange, streaming, the daemon hashing what arrives and writing it once, lending that file to the
  task (a rename into its folder), running \`true\`, cleaning up. The node's cache gets its own copy
  after that, made from the lent file (copied by the kernel, then hashed, so a task that changed its
  input leaves the blob uncached): the next row is the time until then, **${ratio(raw.durationMs / up.storedMs)}** of the raw copy.
- The same upload to a daemon started as \`distw daemon install\`'s systemd unit starts it, with
  \`GLIBC_TUNABLES=${MALLOC_TUNABLES}\` (each received chunk in reused heap memory, not freshly
  faulted pages; see src/daemon/service/malloc-tunables.ts): **${upServiceRatio.toFixed(3)}×, ${verdict(upServiceRatio >= 0.5)}**.
- Return goal ≥ 0.5 × raw: **${downRatio.toFixed(3)}×, ${verdict(downRatio >= 0.5)}**. The return time is the whole batch as the
  submitter sees it: the task (\`ln\` of a file holding the bytes, so the output exists when it ends,
  as the raw copy's file does), the node diffing its folder, streaming, the submitter writing a temp
  file and renaming it into place. With the task writing its output first (\`head -c … /dev/zero >
  out.bin\`, the next row), it is **${ratio(raw.durationMs / written.durationMs)}**: that write is the task's work, which the raw
  copy does not do.
- Encrypted, as a pool runs by default (\`distw pool new\`/\`join\`: every connection TLS 1.2 with the pool's
  pre-shared key, here ${cipher}), goal ≥ ${ENCRYPTED_GOAL} × raw: upload **${upTlsRatio.toFixed(3)}×, ${verdict(upTlsRatio >= ENCRYPTED_GOAL)}**,
  return **${downTlsRatio.toFixed(3)}×, ${verdict(downTlsRatio >= ENCRYPTED_GOAL)}** (${ratio(up.durationMs / upTls.durationMs)} and ${ratio(down.durationMs / downTls.durationMs)} of the plain rows' speed).
  Peak RSS encrypted: ${mib(tlsPeak.upDaemon)} / ${mib(tlsPeak.downDaemon)} daemon, ${mib(tlsPeak.up)} / ${mib(tlsPeak.down)} submitter (upload / return), against
  ${mib(peak.upDaemon)} / ${mib(peak.downDaemon)} and ${mib(peak.up)} / ${mib(peak.down)} plain.
- Writing the bytes into a new file, alone, takes ${secs(writeMs)} (${ratio(writeMs / raw.durationMs)} the raw copy's time). The raw
  copy writes the bytes once, and so does a distw upload before its task starts (the cache's copy is
  a second write, after). A return writes them once (the submitter's
  file); twice where the task writes its output too, which alone allows at most
  **${ratio(raw.durationMs / (2 * writeMs))}** of the raw copy here, before any framing.
- Peak RSS goal ≤ 200 MiB for daemon and submitter: **${verdict(peaks.every((p) => p <= RSS_GOAL))}** (largest ${mib(Math.max(...peaks))});
  encrypted: **${verdict(tlsPeaks.every((p) => p <= RSS_GOAL))}** (largest ${mib(Math.max(...tlsPeaks))}).
- Resubmission goal 0 payload bytes: **${again.bytesUp} bytes, ${verdict(again.bytesUp === 0)}**. The first resubmission
  hashes the input again (a fresh process given no digest cache); \`distw submit\` remembers digests across runs
  (~/.cache/distw/digests.json), so the last row is its resubmission: what is left is the node copying the blob
  into the task folder.
- The daemon's spawn helper (a process of its own that starts the tasks and relays their output) peaked
  at ${mib(peak.upHelper)} (upload) and ${mib(peak.downHelper)} (return).
- The raw copy's processes peaked at ${mib(raw.sendRss)} (sender) and ${mib(raw.recvRss)} (receiver).`
}
