// Many trivial tasks (10,000 × `true` by default) over two daemons: does the batch complete, how fast,
// and how much memory does the submitter need? Daemons and submitter are separate processes (the
// built CLI and the built library), so each peak RSS is the process's own. Baselines, same run: for
// memory, a bare `node -e` doing nothing; for throughput, the bare Node spawn loop of benchmark 1
// with as many at a time as the two daemons have slots.
// Goal (issue): the batch completes with the submitter's memory bounded — all tasks succeed and its
// peak RSS stays under 300 MiB (the bound the task-file benchmark uses for 100,000 lines).
import { mib, MiB, ratio, run as exec, runChild, secs, startDaemon, table, tempDir, verdict } from './lib/harness.mjs'

export const section = 'many-tasks'
export const title = '10,000-task batch: trivial tasks over two daemons, submitter memory'

const COUNT = Number(process.env.DISTW_BENCH_MANY ?? 10_000)
const DAEMONS = 2
const SLOTS = 2
const BOUND = 300 * MiB

// A Node process that does nothing but report its own peak RSS and heap: the memory floor of any submitter.
const IDLE =
  'process.stdout.write(JSON.stringify({ maxRssBytes: process.resourceUsage().maxRSS * 1024, heapBytes: process.memoryUsage().heapUsed }) + "\\n")'

export async function run() {
  const idle = (await exec(process.execPath, ['-e', IDLE])).report
  const loop = await runChild('spawn-loop.mjs', { count: COUNT, parallel: DAEMONS * SLOTS, command: ['true'] })

  const dir = await tempDir()
  const daemons = []
  let submitter
  let daemonPeaks
  try {
    for (let i = 0; i < DAEMONS; i++) daemons.push(await startDaemon(['--slots', String(SLOTS)]))
    submitter = await runChild('many-child.mjs', { count: COUNT, cwd: dir, peers: daemons.map((d) => d.peer) })
    daemonPeaks = await Promise.all(daemons.map(async (d) => (await d.memory()).peak))
  } finally {
    await Promise.allSettled(daemons.map((d) => d.stop()))
  }

  const rate = (ms) => Math.round(COUNT / (ms / 1000))
  const throughput = table(
    ['runner', 'time', 'tasks/s', 'vs Node loop'],
    [
      [`bare Node spawn loop, ${DAEMONS * SLOTS} at a time (baseline)`, secs(loop.durationMs), rate(loop.durationMs), '1.00'],
      [
        `distw submit → ${DAEMONS} daemons × ${SLOTS} slots (loopback)`,
        secs(submitter.durationMs),
        rate(submitter.durationMs),
        (loop.durationMs / submitter.durationMs).toFixed(2),
      ],
    ],
  )
  const memory = table(
    ['process', 'peak RSS', 'vs bare Node', 'peak heap used'],
    [
      ['bare `node -e` doing nothing (baseline)', mib(idle.maxRssBytes), ratio(1), mib(idle.heapBytes)],
      [
        `submitter (${COUNT.toLocaleString('en')} tasks)`,
        mib(submitter.maxRssBytes),
        ratio(submitter.maxRssBytes / idle.maxRssBytes),
        mib(submitter.peakHeapBytes),
      ],
      ...daemonPeaks.map((peak, i) => [`daemon ${i + 1}`, mib(peak), ratio(peak / idle.maxRssBytes), '—']),
    ],
  )
  const met = submitter.ok === COUNT && submitter.maxRssBytes < BOUND
  const peak = `${mib(submitter.maxRssBytes)} (${ratio(submitter.maxRssBytes / idle.maxRssBytes)} a bare Node process)`
  return `${throughput}

${memory}

${COUNT.toLocaleString('en')} × \`true\` (each a \`/bin/sh -c true\` on a daemon) from one submitter process over ${DAEMONS} daemons
with ${SLOTS} slots each, all on this machine; the Node loop runs \`true\` directly. Submitter heap sampled every 100 ms;
daemon peaks are VmHWM at the end of the batch.

Goal: a 10,000-task batch of trivial commands completes over two daemons with the submitter's memory bounded
(all tasks succeed and the submitter's peak RSS stays under 300 MiB, the task-file benchmark's bound):
**${submitter.ok.toLocaleString('en')} / ${COUNT.toLocaleString('en')} succeeded, peak RSS ${peak}, ${verdict(met)}**.${
    submitter.ok === COUNT ? '' : `\nFirst failure: ${submitter.firstFailure}.`
  }`
}
