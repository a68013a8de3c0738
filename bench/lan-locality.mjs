// Issue 21's second bench: a LAN of 16 hosts made of network namespaces (10.97.0.1–16, 2 slots each,
// `--insecure`: plain WebSocket) and a submitter on a 17th. 5,000 `true` tasks, 1 MiB of distinct input
// per 10 consecutive tasks (500 MiB), run with placement by locality, then resubmitted identically (the
// digest cache and node-blobs.json kept); the same on fresh daemons with `--no-locality`; against the same
// batch without inputs. Goals: first run ≤ 1.3 × the input bytes on the wire, resubmission ≤ 5 % of
// them, wall time within 1.5 × the batch without inputs. Needs root and iproute2, else skipped.
// DISTW_BENCH_LAN_TASKS (default 5000) and DISTW_BENCH_LAN_NODES (default 16) shrink it.
import { randomBytes } from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import { CLI, mib, MiB, ratio, ROOT, secs, table, tempDir, verdict } from './lib/harness.mjs'
import { inNamespace, onLan, stop } from './lib/netns.mjs'

export const section = 'lan-locality'
export const title = 'Locality on a namespaced LAN: 16 nodes, 5,000 tasks, 1 MiB of input per 10 tasks'

const TASKS = Number(process.env.DISTW_BENCH_LAN_TASKS ?? 5000)
const NODES = Number(process.env.DISTW_BENCH_LAN_NODES ?? 16)
const PER_INPUT = 10
const SUBNET = '10.97.0'

export function run() {
  return onLan(section, { tag: 'dwk', count: NODES + 1, subnet: SUBNET }, measure)
}

// NODES daemons, one a host, on fresh work folders (empty caches, new ids).
async function startNodes(hosts, daemons) {
  await Promise.all(daemons.splice(0).map(stop))
  const started = hosts.slice(0, NODES).map(async (ns, i) => {
    const workDir = await tempDir('distw-bench-lan-')
    const args = [CLI, 'daemon', '--bind', `${SUBNET}.${i + 1}`, '--port', '7420', '--insecure', '--allow-root', '--slots', '2']
    const child = inNamespace(
      ns,
      [...args, '--name', `n${i + 1}`, '--work-dir', workDir, '--no-mdns', '--no-broadcast'],
      ['ignore', 'pipe', 'pipe'],
    )
    daemons.push(child)
    let out = ''
    await new Promise((resolve, reject) => {
      child.stdout.on('data', (d) => (out += d) && out.includes('listening on') && resolve())
      child.once('exit', (code) => reject(new Error(`daemon on ${ns} exited (${code})`)))
    })
  })
  await Promise.all(started)
  return hosts.slice(0, NODES).map((_, i) => `${SUBNET}.${i + 1}:7420`)
}

// One batch from the submitter's host, through the built library (bench/lib/submit-child.mjs).
async function submitFrom(ns, config) {
  const child = inNamespace(ns, [path.join(ROOT, 'bench/lib/submit-child.mjs'), JSON.stringify(config)], ['ignore', 'pipe', 'pipe'])
  let out = ''
  let err = ''
  child.stdout.on('data', (d) => (out += d))
  child.stderr.on('data', (d) => (err += d))
  const code = await new Promise((r) => child.once('exit', r))
  const report = JSON.parse(out.trim().split('\n').pop() || '{}')
  if (code !== 0 || !report.ok) throw new Error(`batch failed (${code}): ${report.firstFailure ?? err.slice(-1000)}`)
  return report
}

async function measure({ hosts }, daemons) {
  const submitter = hosts[NODES]
  const dir = await tempDir()
  await fs.mkdir(path.join(dir, 'in'))
  const groups = Math.ceil(TASKS / PER_INPUT)
  for (let g = 0; g < groups; g++) await fs.writeFile(path.join(dir, 'in', `f-${g}.bin`), randomBytes(MiB))
  const lines = (withInputs) =>
    Array.from({ length: TASKS }, (_, i) =>
      JSON.stringify({ name: `t${i}`, run: 'true', ...(withInputs ? { inputs: [`in/f-${Math.floor(i / PER_INPUT)}.bin`] } : {}) }),
    ).join('\n') + '\n'
  await fs.writeFile(path.join(dir, 'bare.tasks'), lines(false))
  await fs.writeFile(path.join(dir, 'input.tasks'), lines(true))
  const inputBytes = groups * MiB

  const runs = {}
  for (const mode of ['on', 'off']) {
    const peers = await startNodes(hosts, daemons)
    const stores = { digestStore: path.join(dir, `${mode}-digests.json`), nodeBlobs: path.join(dir, `${mode}-node-blobs.json`) }
    const batch = (tasks) =>
      submitFrom(submitter, { tasksFile: path.join(dir, tasks), cwd: dir, peers, locality: mode === 'on', ...stores })
    if (mode === 'on') runs.bare = await batch('bare.tasks')
    runs[`${mode}-first`] = await batch('input.tasks')
    runs[`${mode}-again`] = await batch('input.tasks')
  }
  const row = (label, r) => [
    label,
    secs(r.durationMs),
    ratio(r.durationMs / runs.bare.durationMs),
    mib(r.bytesUp),
    ratio(r.bytesUp / inputBytes),
  ]
  const on1 = runs['on-first']
  const on2 = runs['on-again']
  return [
    `${NODES} hosts (network namespaces on one bridge, \`--insecure\`, 2 slots each) and a submitter on another; ${TASKS.toLocaleString('en')} \`true\` tasks, each group of ${PER_INPUT} consecutive ones sharing 1 MiB of distinct input (${mib(inputBytes)} in all). All of it on this one 2-core machine, so the times say more about CPU than about a network.`,
    '',
    table(
      ['batch', 'wall', 'vs no inputs', 'bytes sent', 'vs input bytes'],
      [
        ['no inputs (baseline)', secs(runs.bare.durationMs), '1.00×', '0 MiB', '—'],
        row('inputs, locality, first run', on1),
        row('inputs, locality, identical resubmission', on2),
        row('inputs, `--no-locality`, first run (fresh daemons)', runs['off-first']),
        row('inputs, `--no-locality`, resubmission', runs['off-again']),
      ],
    ),
    '',
    `Goals: first run ≤ 1.3 × the input bytes — ${verdict(on1.bytesUp <= 1.3 * inputBytes)}; resubmission ≤ 5 % — ${verdict(on2.bytesUp <= 0.05 * inputBytes)}; wall time ≤ 1.5 × the batch without inputs — first run ${verdict(on1.durationMs <= 1.5 * runs.bare.durationMs)}, resubmission ${verdict(on2.durationMs <= 1.5 * runs.bare.durationMs)}.`,
  ].join('\n')
}
