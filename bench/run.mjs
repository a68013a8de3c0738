// `npm run bench`: runs the benchmarks (each bench/*.mjs that exports `section`, `title` and `run`),
// each measured as a ratio against a baseline taken in the same run, and rewrites only their own
// sections of BENCHMARKS.md (between `<!-- bench:SECTION:start -->` and `<!-- bench:SECTION:end -->`),
// so benchmarks run at different times keep their figures side by side.
//
//   npm run bench                       every benchmark
//   npm run bench -- transfer task-file only these (file names without .mjs)
//   DISTW_BENCH_SIZE=64M npm run bench  smaller transfers for a quick check (the record uses 1G)
//   DISTW_BENCH_DRY=1 npm run bench     print the sections, leave BENCHMARKS.md alone
//   DISTW_BENCH_MANY=300 npm run bench -- many-tasks   a smaller batch (the record uses 10,000)
//   DISTW_BENCH_FILES=20000 npm run bench -- many-files   fewer files (the record uses 1,000,000)
//   DISTW_BENCH_ROUNDS=2 npm run bench -- discovery    rounds (default 5 here, needs root and iproute2;
//                                      2 for spawn-overhead, sleep-tasks, transfer; 3 for task-file)
//   DISTW_BENCH_CHAOS=100 npm run bench -- chaos      a smaller chaos run (the record uses 500)
//   DISTW_BENCH_STREAM=20000 npm run bench -- stream  a shorter stream (the record pipes 200,000 lines;
//                                      DISTW_BENCH_STREAM_LINES: lines timed one at a time, default 200)
//   DISTW_BENCH_SIZE=20M DISTW_BENCH_CHAINS=2 npm run bench -- chain   smaller chains (the record uses 200M, 6)
//   DISTW_BENCH_CPU=2000 npm run bench -- cpu          fewer tasks for CPU per task (the record uses 10,000)
//   DISTW_BENCH_LAN_TASKS=500 DISTW_BENCH_LAN_NODES=4 npm run bench -- lan-locality   a smaller LAN batch (needs root)
//   DISTW_BENCH_LAN=1000 npm run bench -- lan          fewer tasks over the LAN of 16 (the record uses 5,000; root)
import fs from 'node:fs/promises'
import path from 'node:path'
import { cleanup, machine, replaceSection, ROOT } from './lib/harness.mjs'

const HEADER = `# Benchmarks

Made by \`npm run bench\` (bench/run.mjs; not part of the tests). Every figure is a ratio against a
baseline measured in the same run on the same machine, so the ratios mean more than the absolute
numbers. Each section is rewritten only by its own benchmark and records the machine, the load
average at the time (other work on the machine makes figures noisy) and the exact command.
`

// The benchmarks' daemons and submitters discover on loopback only: nothing may leave this machine
// (the namespaced ones set it empty for their children: there every interface is the bench's own).
process.env.DISTW_INTERFACES ??= 'lo'

const wanted = process.argv.slice(2)
const files = (await fs.readdir(path.join(ROOT, 'bench'))).filter((f) => f.endsWith('.mjs') && f !== 'run.mjs').sort()
const chosen = wanted.length ? files.filter((f) => wanted.includes(f.replace(/\.mjs$/, ''))) : files
const unknown = wanted.filter((w) => !files.includes(`${w}.mjs`))
if (unknown.length)
  throw new Error(`no benchmark named ${unknown.join(', ')}; there are: ${files.map((f) => f.replace('.mjs', '')).join(', ')}`)

const target = path.join(ROOT, 'BENCHMARKS.md')
let document = await fs.readFile(target, 'utf8').catch(() => HEADER)
const env = [
  'DISTW_BENCH_SIZE',
  'DISTW_BENCH_TASKS',
  'DISTW_BENCH_ROUNDS',
  'DISTW_BENCH_MANY',
  'DISTW_BENCH_FILES',
  'DISTW_BENCH_CHAINS',
  'DISTW_BENCH_CPU',
  'DISTW_BENCH_STREAM',
  'DISTW_BENCH_STREAM_LINES',
  'DISTW_BENCH_LAN_TASKS',
  'DISTW_BENCH_LAN_NODES',
  'DISTW_BENCH_LAN',
]
  .filter((k) => process.env[k])
  .map((k) => `${k}=${process.env[k]} `)
  .join('')
for (const file of chosen) {
  const name = file.replace(/\.mjs$/, '')
  const bench = await import(path.join(ROOT, 'bench', file))
  if (typeof bench.run !== 'function' || !bench.section) throw new Error(`bench/${file} exports no section and run()`)
  process.stderr.write(`bench: ${name}…\n`)
  const before = machine()
  let body
  try {
    body = await bench.run()
  } finally {
    await cleanup()
  }
  const after = machine()
  const facts =
    `${before.cores} cores (${before.cpu}), ${before.memory} RAM, ${before.os}, Node ${before.node}; ` +
    `${before.date}; load average (1, 5, 15 min) ${before.load} before, ${after.load} after.\n` +
    `Command: \`${env}npm run bench -- ${name}\`.`
  const section = `## ${bench.title}\n\n${facts}\n\n${body.trim()}\n`
  process.stdout.write(`${section}\n`)
  if (!process.env.DISTW_BENCH_DRY) {
    document = replaceSection(document, bench.section, section)
    await fs.writeFile(target, await formatted(document))
  }
}

// The file is checked by `prettier --check` with the rest of the repository: write it formatted.
async function formatted(markdown) {
  const prettier = await import('prettier')
  const options = (await prettier.resolveConfig(target)) ?? {}
  return prettier.format(markdown, { ...options, filepath: target })
}
