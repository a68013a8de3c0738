// 10,000 trivial tasks over two daemons: does the batch complete, how fast, and how much memory does
// the submitter need? The daemons and the submitter are separate processes (the built CLI and the
// built library), so the figure is the submitter's own peak RSS. Run: npm run build && node bench/many-tasks.mjs [N]
import { execa } from 'execa'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const cli = path.join(root, 'bin/run.js')
const count = Number(process.argv[2] ?? 10_000)
const slots = Number(process.env.SLOTS ?? 2)

async function daemon(workDir) {
  const child = execa(process.execPath, [cli, 'daemon', '--port', '0', '--slots', String(slots), '--work-dir', workDir], {
    reject: false,
    buffer: false,
  })
  const url = await new Promise((resolve, reject) => {
    let out = ''
    child.stdout.on('data', (d) => {
      out += d
      const m = /listening on ws:\/\/(\S+)/.exec(out)
      if (m) resolve(m[1])
    })
    void child.then(() => reject(new Error('daemon exited')))
  })
  return { child, peer: url }
}

// The submitter: the library in its own process, sampling its heap, reporting peak RSS at the end.
const submitter = `
import { submit } from ${JSON.stringify(path.join(root, 'dist/lib.js'))}
let peakHeap = 0
const sample = setInterval(() => { peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed) }, 100)
const peers = process.argv.slice(2)
const text = Array.from({ length: ${count} }, () => 'true').join('\\n')
const started = performance.now()
const batch = await submit({ tasks: text, peers })
clearInterval(sample)
const seconds = (performance.now() - started) / 1000
const ok = batch.results.filter((r) => r.status === 'succeeded').length
console.log(JSON.stringify({ ok, total: batch.results.length, seconds, maxRssKiB: process.resourceUsage().maxRSS, peakHeap }))
`

const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'distw-bench-'))
const nodes = []
try {
  nodes.push(await daemon(path.join(tmp, 'a')), await daemon(path.join(tmp, 'b')))
  const script = path.join(tmp, 'submitter.mjs')
  await fs.writeFile(script, submitter)
  const run = await execa(process.execPath, [script, ...nodes.map((n) => n.peer)], { cwd: tmp })
  const r = JSON.parse(run.stdout.trim().split('\n').at(-1))
  console.log(
    `${r.ok}/${r.total} tasks succeeded over 2 daemons × ${slots} slots in ${r.seconds.toFixed(1)} s (${Math.round(r.total / r.seconds)} tasks/s)`,
  )
  console.log(`submitter peak RSS ${(r.maxRssKiB / 1024).toFixed(0)} MiB, peak heap used ${(r.peakHeap / 1024 ** 2).toFixed(0)} MiB`)
  if (r.ok !== count) process.exitCode = 1
} finally {
  for (const n of nodes) n.child.kill('SIGTERM')
  await Promise.allSettled(nodes.map((n) => n.child))
  await fs.rm(tmp, { recursive: true, force: true })
}
