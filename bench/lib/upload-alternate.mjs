// Wall time of one upload on two (or more) built checkouts, alternated under one load: `node
// bench/lib/upload-alternate.mjs TREE,TREE [SIZE_MIB] [ROUNDS] [tls,plain]` makes a SIZE (default 1024
// MiB) input, then each round runs a raw TCP copy (bench/lib/tcp-copy.mjs) and an upload to a fresh
// daemon of each tree and wire, the trees' order swapped every other round, and prints each round's
// times (with the ratio to that round's raw copy and the daemon's peak RSS), then the best of each.
// On a machine shared with other work, compare within rounds and over many of them. Not a section.
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import fs from 'node:fs/promises'
import path from 'node:path'

const trees = (process.argv[2] ?? '').split(',').filter(Boolean)
if (trees.length === 0) throw new Error('usage: upload-alternate.mjs TREE[,TREE…] [SIZE_MIB] [ROUNDS] [tls,plain]')
const MiB = 1024 * 1024
const SIZE = Number(process.argv[3] ?? 1024) * MiB
const ROUNDS = Number(process.argv[4] ?? 3)
const wires = (process.argv[5] ?? 'tls').split(',')
const harness = await import(path.join(trees[0], 'bench/lib/harness.mjs'))

const dir = await harness.tempDir()
const input = path.join(dir, 'in.bin')
const block = randomBytes(16 * MiB)
const handle = await fs.open(input, 'w')
for (let left = SIZE; left > 0; left -= block.length) await handle.write(block, 0, Math.min(left, block.length))
await handle.close()
const tasksFile = path.join(dir, 'up.tasks')
await fs.writeFile(tasksFile, `${JSON.stringify({ name: 'up', run: 'true', inputs: ['in.bin'] })}\n`)

// A child script's last stdout line, parsed.
async function child(script, config) {
  const c = spawn(process.execPath, [script, JSON.stringify(config)], { stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  c.stdout.on('data', (d) => (out += d))
  const [code] = await once(c, 'exit')
  if (code !== 0) throw new Error(`${script} exited ${code}`)
  return out.trim().split('\n').pop()
}

async function rawCopy() {
  const script = path.join(trees[0], 'bench/lib/tcp-copy.mjs')
  const recv = spawn(process.execPath, [script, JSON.stringify({ mode: 'recv', dest: path.join(dir, 'raw.bin') })])
  const exited = once(recv, 'exit')
  let out = ''
  recv.stdout.on('data', (d) => (out += d))
  while (!/port (\d+)/.test(out)) await once(recv.stdout, 'data')
  await child(script, { mode: 'send', file: input, port: Number(/port (\d+)/.exec(out)[1]) })
  await exited
  await fs.rm(path.join(dir, 'raw.bin'), { force: true })
  return JSON.parse(out.trim().split('\n').pop()).durationMs
}

async function upload(tree, wire) {
  const { startDaemon } = await import(path.join(tree, 'bench/lib/harness.mjs'))
  const secret = wire === 'tls' ? randomBytes(32).toString('hex') : undefined
  const pool = secret ? { args: ['--bind', '127.0.0.1'], env: { DISTW_SECRET: secret } } : { args: [], env: {} }
  const daemon = await startDaemon(['--slots', '1', ...pool.args], pool.env)
  try {
    const report = JSON.parse(
      await child(path.join(tree, 'bench/lib/submit-child.mjs'), { tasksFile, cwd: dir, peers: [daemon.peer], secret }),
    )
    if (!report.ok) throw new Error(`the upload failed on ${tree}`)
    return { ms: report.durationMs, peak: (await daemon.memory()).peak }
  } finally {
    await daemon.stop()
  }
}

const best = {}
const keep = (name, ms) => (best[name] = Math.min(best[name] ?? Infinity, ms))
try {
  for (let round = 0; round < ROUNDS; round++) {
    const raw = await rawCopy()
    keep('raw copy', raw)
    const row = [`raw copy ${(raw / 1000).toFixed(2)} s`]
    for (const wire of wires) {
      for (const tree of round % 2 ? [...trees].reverse() : trees) {
        const { ms, peak } = await upload(tree, wire)
        const name = `${tree} ${wire}`
        keep(name, ms)
        row.push(`${name} ${(ms / 1000).toFixed(2)} s (${(raw / ms).toFixed(3)}×, peak ${Math.round(peak / MiB)} MiB)`)
      }
    }
    const load = (await fs.readFile('/proc/loadavg', 'utf8')).split(' ')[0]
    console.log(`round ${round + 1}, load ${load}: ${row.join('; ')}`)
  }
  const raw = best['raw copy']
  console.log(
    `best: ${Object.entries(best)
      .map(([name, ms]) => `${name} ${(ms / 1000).toFixed(2)} s (${(raw / ms).toFixed(3)}×)`)
      .join('; ')}`,
  )
} finally {
  await harness.cleanup()
}
