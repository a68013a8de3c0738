// Discovery: time from a daemon starting to being listed by a running `distw peers --watch` on another
// host of a LAN made of network namespaces (two hosts, 10.98.0.1 and .2, on a bridge of their own;
// nothing outside these namespaces is touched). Needs root and iproute2, else skipped with a note.
// Baseline, same run: a bare `node -e ''` spawned the same way in the same namespace, to exit.
// Goal (issue): daemon start → listed under 1 s.
import { CLI, secs, table, tempDir, verdict } from './lib/harness.mjs'
import { inNamespace, onLines, onLan, stop } from './lib/netns.mjs'

export const section = 'discovery'
export const title = 'Discovery: daemon start → listed by a running `distw peers --watch`'

const ROUNDS = Number(process.env.DISTW_BENCH_ROUNDS ?? 5)
const GOAL_MS = 1000
const LISTED_TIMEOUT_MS = 10_000

export function run() {
  return onLan(section, { tag: 'dwb', count: 2, subnet: '10.98.0' }, measure)
}

async function measure({ hosts: [h1, h2] }, children) {
  const watcher = inNamespace(h2, [CLI, 'peers', '--watch', '--json'], ['ignore', 'pipe', 'pipe'])
  children.push(watcher)
  let watcherLog = ''
  watcher.stderr.on('data', (d) => (watcherLog += d))
  const added = new Map()
  const waiting = new Map()
  onLines(watcher.stdout, (line) => {
    let event
    try {
      event = JSON.parse(line)
    } catch {
      return
    }
    if (event.event !== 'add' || added.has(event.name)) return
    added.set(event.name, { at: performance.now(), via: event.via ?? [] })
    waiting.get(event.name)?.()
  })
  await new Promise((r) => setTimeout(r, 2000)) // the watcher is up and probing
  if (watcher.exitCode !== null) throw new Error(`distw peers --watch exited (${watcher.exitCode}):\n${watcherLog.slice(-2000)}`)

  const rounds = []
  for (let round = 0; round < ROUNDS; round++) {
    // Baseline: Node itself spawned the same way, to exit.
    const nodeStart = performance.now()
    const bare = inNamespace(h1, ['-e', ''], 'ignore')
    await new Promise((r) => bare.once('exit', r))
    const nodeMs = performance.now() - nodeStart

    const name = `bench-${process.pid}-${round}`
    const workDir = await tempDir('distw-bench-node-')
    const spawnedAt = performance.now()
    const daemon = inNamespace(
      h1,
      [CLI, 'daemon', '--bind', '0.0.0.0', '--insecure', '--allow-root', '--name', name, '--work-dir', workDir],
      ['ignore', 'pipe', 'pipe'],
    )
    children.push(daemon)
    let daemonLog = ''
    daemon.stderr.on('data', (d) => (daemonLog += d))
    const listeningAt = await new Promise((resolve, reject) => {
      onLines(daemon.stdout, (l) => l.includes('listening on') && resolve(performance.now()))
      daemon.once('exit', (code) => reject(new Error(`daemon exited (${code}) before listening:\n${daemonLog.slice(-2000)}`)))
    })
    const listed = added.has(name)
      ? true
      : await new Promise((resolve) => {
          const timer = setTimeout(() => resolve(false), LISTED_TIMEOUT_MS)
          waiting.set(name, () => (clearTimeout(timer), resolve(true)))
        })
    waiting.delete(name)
    const seen = added.get(name)
    rounds.push(
      listed ? { nodeMs, listenToListed: seen.at - listeningAt, spawnToListed: seen.at - spawnedAt, via: seen.via.join('+') } : { nodeMs },
    )
    await stop(daemon)
  }
  return report(rounds)
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}
const ms = (x) => `${Math.round(x).toLocaleString('en')} ms`
const range = (xs) => `${Math.round(Math.min(...xs)).toLocaleString('en')}–${ms(Math.max(...xs))}`

function report(rounds) {
  const found = rounds.filter((r) => r.listenToListed !== undefined)
  const missing = rounds.length - found.length
  const node = median(rounds.map((r) => r.nodeMs))
  const rows = [['`ip netns exec … node -e ""` spawned → exited (baseline)', ms(node), range(rounds.map((r) => r.nodeMs)), '1.00']]
  const lines = []
  if (found.length) {
    const listen = found.map((r) => r.listenToListed)
    const spawned = found.map((r) => r.spawnToListed)
    rows.push(
      [
        'daemon prints "listening" → `add` line from `peers --watch` on the other host',
        ms(median(listen)),
        range(listen),
        (median(listen) / node).toFixed(2),
      ],
      [
        '`ip netns exec … distw daemon` spawned → `add` line (includes Node + oclif start-up)',
        ms(median(spawned)),
        range(spawned),
        (median(spawned) / node).toFixed(2),
      ],
    )
    const vias = [...new Set(found.map((r) => r.via))].join(', ')
    lines.push(
      `- Goal: daemon start → listed under 1 s. Listening → listed, median: **${ms(median(listen))}, ${verdict(median(listen) < GOAL_MS && !missing)}**.`,
      `  Process spawned → listed, median: **${ms(median(spawned))}, ${verdict(median(spawned) < GOAL_MS && !missing)}**` +
        ` (${spawned.filter((x) => x >= GOAL_MS).length} of ${found.length} rounds at 1 s or more).`,
      `- First heard via: ${vias || 'unknown'}.`,
    )
  }
  if (missing) lines.push(`- **${missing} of ${rounds.length} rounds not listed within ${secs(LISTED_TIMEOUT_MS)}: MISSED.**`)
  return `${table([`measure (${rounds.length} rounds)`, 'median', 'range', 'vs Node start-up'], rows)}

Two hosts (10.98.0.1 and 10.98.0.2) made of network namespaces on a bridge of their own, torn down afterwards.
The watcher runs on one host from the start; each round starts a daemon on the other (\`--bind 0.0.0.0 --insecure\`),
waits for its \`add\` line, stops it. The baseline is Node alone started the same way, so the spawned row shows
what distw adds to it.

${lines.join('\n')}`
}
