// Issue 21's first bench: chains of 3 steps over 2 daemons (2 slots each) with big intermediates, placement
// by locality on against off (`--no-locality`), each on fresh daemons, alternating, in the same run.
// Step 1 makes a file, step 2 reads it and makes another, step 3 checksums that. Goal with locality:
// no intermediate uploaded again (0 bytes up: the batch has no other input) and less wall time.
// DISTW_BENCH_SIZE (default 200M) sets the size of each intermediate; DISTW_BENCH_CHAINS (default 6)
// the number of chains; DISTW_BENCH_ROUNDS (default 2) the rounds, the best of each mode kept.
import fs from 'node:fs/promises'
import path from 'node:path'
import { parseSize } from '../dist/tasks/index.js'
import { mib, ratio, runChild, secs, startDaemon, table, tempDir, verdict } from './lib/harness.mjs'

export const section = 'chain'
export const title = 'Chains: 3 steps over 2 daemons, big intermediates, locality on and off'

const SIZE = parseSize(process.env.DISTW_BENCH_SIZE ?? '200M')
const CHAINS = Number(process.env.DISTW_BENCH_CHAINS ?? 6)
const ROUNDS = Number(process.env.DISTW_BENCH_ROUNDS ?? 2)

function chainTasks() {
  const lines = []
  for (let c = 0; c < CHAINS; c++) {
    // Distinct content per chain (its own first byte), made quickly: the wire does not compress. Chains
    // take different times (as real ones do), so their steps do not end in lockstep.
    const pause = `sleep ${((c % 3) * 0.2).toFixed(1)}`
    lines.push({ name: `make-${c}`, run: `${pause}; { printf ${c}; head -c ${SIZE - 1} /dev/zero; } > c${c}-1.bin` })
    lines.push({ name: `grow-${c}`, run: `{ cat c${c}-1.bin; printf x; } > c${c}-2.bin`, inputs: [`c${c}-1.bin`], after: [`make-${c}`] })
    lines.push({ name: `sum-${c}`, run: `sha256sum c${c}-2.bin > c${c}-3.txt`, inputs: [`c${c}-2.bin`], after: [`grow-${c}`] })
  }
  return lines.map((t) => JSON.stringify(t)).join('\n') + '\n'
}

// One batch on two fresh daemons (empty caches), in a fresh folder.
async function round(locality) {
  const dir = await tempDir()
  const tasksFile = path.join(dir, 'tasks.txt')
  await fs.writeFile(tasksFile, chainTasks())
  const nodes = await Promise.all([startDaemon(['--slots', '2', '--name', 'n1']), startDaemon(['--slots', '2', '--name', 'n2'])])
  try {
    const r = await runChild('submit-child.mjs', { tasksFile, cwd: dir, peers: nodes.map((n) => n.peer), locality })
    if (!r.ok) throw new Error(`chain batch failed (locality ${locality}): ${r.firstFailure}`)
    return r
  } finally {
    await Promise.all(nodes.map((n) => n.stop()))
    await fs.rm(dir, { recursive: true, force: true })
  }
}

export async function run() {
  const best = { on: undefined, off: undefined }
  for (let i = 0; i < ROUNDS; i++)
    for (const mode of ['off', 'on']) {
      const r = await round(mode === 'on')
      if (!best[mode] || r.durationMs < best[mode].durationMs) best[mode] = r
    }
  const { on, off } = best
  const intermediates = CHAINS * 2 * SIZE
  return [
    `${CHAINS} chains (make → grow → sum), each intermediate ${mib(SIZE)} (${mib(intermediates)} of intermediates), over 2 daemons with 2 slots each on loopback; best of ${ROUNDS} alternating rounds per mode, each on fresh daemons. In both modes the nodes keep the outputs they return in their caches; only placement differs.`,
    '',
    table(
      ['placement', 'wall', 'bytes up (intermediates uploaded again)', 'bytes back'],
      [
        ['locality (default)', secs(on.durationMs), mib(on.bytesUp), mib(on.bytesDown)],
        ['`--no-locality`', secs(off.durationMs), mib(off.bytesUp), mib(off.bytesDown)],
      ],
    ),
    '',
    `Goal: 0 bytes of intermediates uploaded with locality — ${verdict(on.bytesUp === 0)}; less wall time than without — ${verdict(on.durationMs < off.durationMs)} (${ratio(on.durationMs / off.durationMs)} of it).`,
  ].join('\n')
}
