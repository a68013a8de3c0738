// Time from a daemon starting to being listed by a running `distw peers --watch`, on a namespaced
// LAN (two hosts on a bridge). Needs root and iproute2. Run: npm run build && node bench/discovery.mjs [rounds]
import { execFileSync, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const CLI = fileURLToPath(new URL('../bin/run.js', import.meta.url))
const rounds = Number(process.argv[2] ?? 5)
const prefix = `dwb${process.pid}`
const [bridge, h1, h2] = [`${prefix}br`, `${prefix}h1`, `${prefix}h2`]
const ip = (...args) => execFileSync('ip', args, { stdio: 'pipe' })

// Two hosts, 10.98.0.1 and .2, on one bridge, with the multicast route mDNS needs.
function buildLan() {
  ip('netns', 'add', bridge)
  ip('-n', bridge, 'link', 'add', 'br0', 'type', 'bridge', 'mcast_snooping', '0')
  ip('-n', bridge, 'link', 'set', 'br0', 'up')
  for (const [i, ns] of [h1, h2].entries()) {
    ip('netns', 'add', ns)
    ip('-n', bridge, 'link', 'add', `v${i}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns)
    ip('-n', bridge, 'link', 'set', `v${i}`, 'master', 'br0', 'up')
    ip('-n', ns, 'addr', 'add', `10.98.0.${i + 1}/24`, 'dev', 'eth0')
    ip('-n', ns, 'link', 'set', 'eth0', 'up')
    ip('-n', ns, 'link', 'set', 'lo', 'up')
    ip('-n', ns, 'route', 'add', '224.0.0.0/4', 'dev', 'eth0')
  }
}

function teardown() {
  for (const ns of [h1, h2, bridge]) {
    try {
      ip('netns', 'del', ns)
    } catch {}
  }
}

// Calls back with each line of a stream.
function onLines(stream, f) {
  let rest = ''
  stream.on('data', (d) => {
    rest += d.toString()
    const lines = rest.split('\n')
    rest = lines.pop()
    for (const line of lines) f(line)
  })
}

const children = []
try {
  buildLan()
  const watcher = spawn('ip', ['netns', 'exec', h2, process.execPath, CLI, 'peers', '--watch', '--json'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  children.push(watcher)
  const added = []
  onLines(watcher.stdout, (line) => {
    const event = JSON.parse(line)
    if (event.event === 'add') added.push({ name: event.name, at: performance.now(), via: event.via })
  })
  await new Promise((r) => setTimeout(r, 2000)) // the watcher is up and probing
  const results = []
  for (let round = 0; round < rounds; round++) {
    const name = `bench-${round}`
    const spawnedAt = performance.now()
    const daemon = spawn(
      'ip',
      ['netns', 'exec', h1, process.execPath, CLI, 'daemon', '--bind', '0.0.0.0', '--insecure', '--allow-root', '--name', name],
      {
        stdio: ['ignore', 'pipe', 'ignore'],
      },
    )
    children.push(daemon)
    const listeningAt = await new Promise((resolve) =>
      onLines(daemon.stdout, (l) => l.includes('listening on') && resolve(performance.now())),
    )
    while (!added.some((a) => a.name === name)) await new Promise((r) => setTimeout(r, 5))
    const seen = added.find((a) => a.name === name)
    results.push({ listenToListed: seen.at - listeningAt, spawnToListed: seen.at - spawnedAt, via: seen.via.join('+') })
    daemon.kill('SIGTERM')
    await new Promise((r) => daemon.once('exit', r))
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
  for (const r of results)
    console.log(
      `listening → listed ${r.listenToListed.toFixed(0)} ms; process spawn → listed ${r.spawnToListed.toFixed(0)} ms (via ${r.via})`,
    )
  console.log(
    `median over ${rounds}: listening → listed ${median(results.map((r) => r.listenToListed)).toFixed(0)} ms, spawn → listed ${median(results.map((r) => r.spawnToListed)).toFixed(0)} ms`,
  )
} finally {
  for (const child of children) child.kill('SIGKILL')
  teardown()
}
