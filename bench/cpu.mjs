// CPU per task, on each side: 10,000 × `true` from `distw submit` (the built CLI) through one daemon
// on loopback, 2 slots, with the CPU time (user + sys, from /proc/PID/stat) of the submitter, of the
// daemon process alone and of its spawn helper alone, each divided by the task count, against the CPU
// a bare Node spawn loop uses per task in the same run. CPU times, unlike wall times, hold on a shared
// machine. Goals (issue 24): submitter ≤ 0.1 ms a task, daemon ≤ 0.25 ms a task.
import fs from 'node:fs/promises'
import path from 'node:path'
import { cpuOf, cpuSince } from './lib/cpu-time.mjs'
import { CLI, run as exec, runChild, secs, startDaemon, table, tempDir, verdict } from './lib/harness.mjs'

export const section = 'cpu'
export const title = 'CPU per task: 10,000 × `true` through one daemon, on each side'

const COUNT = Number(process.env.DISTW_BENCH_CPU ?? 10_000)
const SLOTS = 2
const GOAL = { submitter: 0.1, daemon: 0.25 }

export async function run() {
  if (process.platform !== 'linux') return 'Skipped: CPU times are read from /proc (Linux only).'
  const dir = await tempDir()
  await fs.writeFile(path.join(dir, 'one.txt'), 'true\n')
  await fs.writeFile(path.join(dir, 'tasks.txt'), 'true\n'.repeat(COUNT))

  const loop = await runChild('spawn-loop.mjs', { count: COUNT, parallel: SLOTS, command: ['true'] })

  const daemon = await startDaemon(['--slots', String(SLOTS)])
  let one, batch, daemonCpu, helperCpu
  try {
    // A batch of one first: the submitter's start-up (Node, oclif, the connection), subtracted below,
    // and the daemon's spawn helper running before the readings.
    one = await submitter(dir, 'one.txt', daemon.peer)
    const helper = await helperPid(daemon.pid)
    const before = { daemon: cpuOf(daemon.pid), helper: cpuOf(helper) }
    batch = await submitter(dir, 'tasks.txt', daemon.peer)
    daemonCpu = cpuSince(before.daemon, cpuOf(daemon.pid))
    helperCpu = cpuSince(before.helper, cpuOf(helper))
  } finally {
    await daemon.stop()
  }

  const per = (ms, n = COUNT) => ms / n
  const ms = (x) => `${x.toFixed(3)} ms`
  const submitterPer = per(batch.cpu - one.cpu, COUNT - 1)
  const daemonPer = per(daemonCpu.self)
  const helperPer = per(helperCpu.self)
  const loopPer = per(loop.cpu.self)
  const rows = [
    [
      'bare Node spawn loop, 2 at a time (baseline)',
      ms(loopPer),
      '1.00',
      ms(per(loop.cpu.children)),
      Math.round(COUNT / (loop.durationMs / 1000)),
    ],
    ['distw submitter (`distw submit`, start-up subtracted)', ms(submitterPer), (submitterPer / loopPer).toFixed(2), '—', '—'],
    ['distw daemon process alone', ms(daemonPer), (daemonPer / loopPer).toFixed(2), '—', '—'],
    ['distw spawn helper alone', ms(helperPer), (helperPer / loopPer).toFixed(2), ms(per(helperCpu.children)), '—'],
    [
      '**distw, the three together**',
      ms(submitterPer + daemonPer + helperPer),
      ((submitterPer + daemonPer + helperPer) / loopPer).toFixed(2),
      '—',
      Math.round(COUNT / (batch.wallMs / 1000)),
    ],
  ]
  const met = submitterPer <= GOAL.submitter && daemonPer <= GOAL.daemon
  return `${table(['process', 'CPU a task', 'vs Node loop', 'its tasks, CPU a task', 'tasks/s'], rows)}

${COUNT.toLocaleString('en')} × \`true\` through one daemon with ${SLOTS} slots on loopback, from \`distw submit FILE --peer …\`
(output to a pipe, so the plain reporter). CPU is user + sys from \`/proc/PID/stat\`: for the daemon and its helper,
their own over the batch (not the tasks, which the helper reaps: its column); for the submitter, its whole process
(a child of the bench) less that of a batch of one (${secs(one.cpu)}: Node, oclif, connecting), over ${(COUNT - 1).toLocaleString('en')}
tasks (whole process: ${secs(batch.cpu)}). The bare loop's own CPU is measured over its loop; its tasks run \`true\` directly.
The tasks/s column is wall time, which a shared machine bends.

Goals: submitter ≤ ${GOAL.submitter} ms a task, daemon ≤ ${GOAL.daemon} ms a task —
**submitter ${ms(submitterPer)}, daemon ${ms(daemonPer)}, ${verdict(met)}**.`
}

// `distw submit FILE --peer PEER` in a child process; its CPU is what this process gains in reaped
// children's time when it exits (the submitter itself reaps nothing: its tasks run on the daemon).
async function submitter(cwd, file, peer) {
  const before = cpuOf()
  const { wallMs, stderr } = await exec(process.execPath, [CLI, 'submit', file, '--peer', peer], { cwd })
  const cpu = cpuSince(before, cpuOf()).children
  if (!/ 0 failed/.test(stderr)) throw new Error(`the batch did not succeed:\n${stderr.slice(-2000)}`)
  return { cpu, wallMs }
}

/** The daemon's spawn helper: its one child once no task runs. */
async function helperPid(daemonPid) {
  const children = await fs.readFile(`/proc/${daemonPid}/task/${daemonPid}/children`, 'utf8')
  const [helper] = children.trim().split(/\s+/).filter(Boolean)
  if (!helper) throw new Error('the daemon has no spawn helper running')
  return helper
}
