// Chaos run (issue 19): 500 tasks of mixed slots, locks, priorities, `after`, timeouts and failures
// over 3 daemons, one of them SIGKILLed and restarted at the same address twice during the run. What
// it must show: the batch ends, every task is reported exactly once with a status (and a reason when
// it did not succeed), and each task's last job-log row agrees with its result. Too slow for the tests
// on a 2-core machine, so it is a benchmark: `npm run bench -- chaos` (DISTW_BENCH_CHAOS=N tasks).
import { spawn } from 'node:child_process'
import fs from 'node:fs/promises'
import net from 'node:net'
import path from 'node:path'
import { CLI, LIB, ROOT_FLAGS, secs, table, tempDir, verdict } from './lib/harness.mjs'

export const section = 'chaos'
export const title = 'Chaos: mixed tasks over 3 daemons, one killed and restarted twice'
const TASKS = Number(process.env.DISTW_BENCH_CHAOS ?? 500)

// A small seeded generator: the same batch every run.
function random(seed) {
  let s = seed
  return () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31
}

function tasks(n) {
  const r = random(42)
  const lines = []
  for (let i = 0; i < n; i++) {
    const t = { name: `t${i}`, run: `sleep 0.0${Math.floor(r() * 9) + 1}` }
    const x = r()
    if (x < 0.1) t.slots = 2
    else if (x < 0.25) t.lock = r() < 0.5 ? 'gpu' : 'disk'
    if (r() < 0.3) t.priority = Math.floor(r() * 10)
    if (i > 0 && r() < 0.15) t.after = [`t${Math.floor(r() * i)}`]
    const y = r()
    if (y < 0.05) Object.assign(t, { run: 'sleep 5', timeout: '300ms' })
    else if (y < 0.1) Object.assign(t, { run: 'exit 3', retries: 1 })
    lines.push(JSON.stringify(t))
  }
  return lines.join('\n')
}

async function freePort() {
  const server = net.createServer().listen(0, '127.0.0.1')
  await new Promise((resolve) => server.once('listening', resolve))
  const { port } = server.address()
  await new Promise((resolve) => server.close(resolve))
  return port
}

// A daemon at a fixed port, so that a restarted one is found at the same address (--reconnect).
async function daemon(port, name) {
  const workDir = await tempDir('distw-chaos-node-')
  const child = spawn(
    process.execPath,
    [CLI, 'daemon', '--port', String(port), '--name', name, '--slots', '2', '--work-dir', workDir, ...ROOT_FLAGS],
    {
      stdio: ['ignore', 'pipe', 'ignore'],
    },
  )
  await new Promise((resolve, reject) => {
    let out = ''
    child.stdout.on('data', (d) => (out += d) && /listening on/.test(out) && resolve())
    child.once('exit', (code) => reject(new Error(`daemon ${name} exited (${code}) before listening`)))
  })
  return child
}

export async function run() {
  const { submit } = await import(LIB)
  const dir = await tempDir()
  const ports = [await freePort(), await freePort(), await freePort()]
  const children = await Promise.all(ports.map((p, i) => daemon(p, `n${i}`)))
  const finished = new Map()
  let kills = 0
  let killing = false
  let restarted = Promise.resolve()
  // SIGKILL the third daemon once a quarter and again once 60% of the tasks are done; it restarts 1 s later.
  const maybeKill = () => {
    const share = finished.size / TASKS
    if (killing || kills >= 2 || share < (kills === 0 ? 0.25 : 0.6)) return
    killing = true
    kills++
    children[2].kill('SIGKILL')
    restarted = new Promise((resolve) => setTimeout(resolve, 1000))
      .then(() => daemon(ports[2], 'n2'))
      .then((child) => {
        children[2] = child
        killing = false
      })
  }
  const joblog = path.join(dir, 'joblog.tsv')
  const started = performance.now()
  try {
    const batch = await submit({
      tasks: tasks(TASKS),
      cwd: dir,
      peers: ports.map((p) => `127.0.0.1:${p}`),
      local: 'never',
      joblog,
      observer: {
        taskFinished: (result) => {
          finished.set(result.name, (finished.get(result.name) ?? 0) + 1)
          maybeKill()
        },
      },
    })
    const durationMs = performance.now() - started
    const rows = (await fs.readFile(joblog, 'utf8')).trim().split('\n')
    const header = rows[0].split('\t')
    const [taskCol, statusCol] = [header.indexOf('task'), header.indexOf('status')]
    const last = new Map(
      rows
        .slice(1)
        .map((l) => l.split('\t'))
        .map((c) => [c[taskCol], c[statusCol]]),
    )
    const once = batch.results.length === TASKS && [...finished.values()].every((n) => n === 1) && finished.size === TASKS
    const reasons = batch.results.every((r) => r.status === 'succeeded' || (r.reason ?? '') !== '')
    const agrees = batch.results.every((r) => r.attempts === 0 || last.get(r.name) === r.status)
    const count = (s) => batch.results.filter((r) => r.status === s).length
    return table(
      ['tasks', 'succeeded', 'failed', 'skipped', 'cancelled', 'kills', 'wall', 'each once', 'reasons', 'job log agrees'],
      [
        [
          TASKS,
          count('succeeded'),
          count('failed'),
          count('skipped'),
          count('cancelled'),
          kills,
          secs(durationMs),
          verdict(once),
          verdict(reasons),
          verdict(agrees),
        ],
      ],
    )
  } finally {
    // A restart still under way when the batch ended is waited for, so that no daemon outlives the run.
    await restarted
    await Promise.all(
      children.map(
        (c) =>
          new Promise((resolve) =>
            c.exitCode !== null || c.signalCode !== null ? resolve() : (c.once('exit', resolve), c.kill('SIGTERM')),
          ),
      ),
    )
  }
}
