// One task that creates many small files (1,000,000 by default, in one folder), all returned: does the
// daemon walk and return them in bounded memory? Daemon and submitter are separate processes (the built
// CLI), so the daemon's peak RSS (VmHWM) is its own. Baseline, same run: the daemon's peak after a
// trivial task on a fresh daemon.
// Goal (issue 22, item 6): the task's files all come back with the daemon's peak RSS ≤ 250 MiB.
import fs from 'node:fs/promises'
import path from 'node:path'
import { CLI, mib, MiB, run as exec, secs, startDaemon, table, tempDir, verdict } from './lib/harness.mjs'

export const section = 'many-files'
export const title = 'A task that makes many small files: all returned, daemon memory'

const COUNT = Number(process.env.DISTW_BENCH_FILES ?? 1_000_000)
const BOUND = 250 * MiB

// Makes COUNT files of a few bytes in out/ (Python: a shell loop of `echo` would take minutes).
const MAKE = `python3 -c "import os; os.mkdir('out'); [open('out/f%d' % i, 'w').write('%d\\\\n' % i) for i in range(${COUNT})]"`

async function submitOne(daemon, command) {
  const dir = await tempDir()
  const started = performance.now()
  await exec(process.execPath, [CLI, 'submit', '-', '--peer', daemon.peer], {
    cwd: dir,
    input: `${command}\n`,
  })
  return { dir, ms: performance.now() - started }
}

export async function run() {
  const baseline = await startDaemon()
  let idlePeak
  try {
    await submitOne(baseline, 'true')
    idlePeak = (await baseline.memory()).peak
  } finally {
    await baseline.stop()
  }
  const daemon = await startDaemon()
  let peak
  let returned
  let ms
  try {
    const done = await submitOne(daemon, MAKE)
    ms = done.ms
    peak = (await daemon.memory()).peak
    returned = 0
    for await (const _ of await fs.opendir(path.join(done.dir, 'out'))) returned++
  } finally {
    await daemon.stop()
  }
  const met = returned === COUNT && peak <= BOUND
  return `${table(
    ['daemon', 'peak RSS', 'files returned', 'batch time'],
    [
      ['after one trivial task (baseline)', mib(idlePeak), '0', '—'],
      [`after one task making ${COUNT.toLocaleString('en')} files`, mib(peak), returned.toLocaleString('en'), secs(ms)],
    ],
  )}

One task (\`python3\` writing ${COUNT.toLocaleString('en')} files of a few bytes into one folder) submitted with
\`distw submit\` to one daemon on this machine; every file is created, so every file comes back. Peak RSS is the daemon's
VmHWM at the end; DISTW_BENCH_FILES sets the count.

Goal: all files returned with the daemon's peak RSS ≤ 250 MiB: **${returned.toLocaleString('en')} / ${COUNT.toLocaleString('en')}
returned, daemon peak ${mib(peak)}, ${verdict(met)}**.`
}
