// The README's lines that name LAN machines, verbatim, on a LAN of network namespaces with the README's
// addresses: this machine 192.168.1.10, a pool's nodes 192.168.1.20 (`--name render-box --tag gpu
// --tag ffmpeg`) and 192.168.1.21 (`distw daemon`), and `box` (192.168.1.30 in the /etc/hosts of the
// namespaced shell only) running a daemon with a secret file of its own. No real address is touched.
import { execa } from 'execa'
import { mkdtempSync, rmSync } from 'node:fs'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { lanUnavailable, makeLan, waitForOutput, type Lan, type LanHost } from '../helpers/netns.js'
import { readmeExample } from '../helpers/readme.js'
import { until } from '../helpers/wait.js'

const skip = lanUnavailable()
if (skip) console.log(`skipping the README LAN lines: ${skip}`)

const ADDRESSES = ['192.168.1.10/24', '192.168.1.20/24', '192.168.1.21/24', '192.168.1.30/24']
const HOSTS_FILE = '127.0.0.1 localhost\n192.168.1.30 box\n'
// Four short tasks: enough for both nodes of the pool to get some.
const TASKS = Array.from({ length: 4 }, (_, i) => `sleep 0.5; echo "t${i} on $DISTW_NODE"`).join('\n') + '\n'

interface StatusJson {
  peer: string
  state: { node: { name: string }; running: Array<{ percent: number; text: string }> }
}

interface PeersJson {
  nodes: Array<{ name: string; address: string; port: number; tags: string[] }>
  otherPools: number
}

describe.skipIf(skip !== undefined)('the README’s LAN lines, verbatim, on a namespaced 192.168.1.0/24', { timeout: 180_000 }, () => {
  let lan: Lan
  let me: LanHost
  let home: string
  let env: Record<string, string>
  // Runs a README line on this machine (192.168.1.10), in the user's HOME.
  const here = (line: string) => lan.shell(me, line, { cwd: home, env, hosts: HOSTS_FILE })

  beforeAll(async () => {
    lan = await makeLan(ADDRESSES.length, { addresses: ADDRESSES })
    const [client, renderBox, other, box] = lan.hosts as [LanHost, LanHost, LanHost, LanHost]
    me = client
    // One user, one HOME on every machine (as a shared home folder would be): the pool's secret and
    // ~/distw.secret are the same file everywhere.
    home = mkdtempSync(path.join(os.tmpdir(), 'distw-lan-home-'))
    env = { HOME: home, XDG_CONFIG_HOME: path.join(home, '.config'), DISTW_ALLOW_ROOT: 'true' }
    await fs.writeFile(path.join(home, 'tasks.txt'), TASKS)
    for (const line of [readmeExample('distw pool new'), readmeExample('distw secret new ~/distw.secret')]) {
      const made = await here(line)
      expect(made.exitCode, made.stderr).toBe(0)
    }
    const daemon = async (host: LanHost, line: string) => {
      const child = lan.shell(host, line, { cwd: home, env })
      // Not returned: an execa child is a promise (of its end), which an async function would wait for.
      await waitForOutput(child, (text) => /listening on wss:\/\/0\.0\.0\.0:7420/.test(text), 60_000).found
    }
    await Promise.all([
      daemon(renderBox, readmeExample('distw daemon --name render-box --tag gpu --tag ffmpeg')),
      daemon(other, readmeExample('distw daemon')),
      daemon(box, readmeExample('distw daemon --secret-file ~/distw.secret --bind 0.0.0.0 --allow 192.168.1.0/24')),
    ])
  }, 180_000)
  afterAll(async () => {
    await lan.destroy()
    rmSync(home, { recursive: true, force: true })
  })

  it('distw peers (and --wait 5s --json, --watch) lists the pool’s two nodes, render-box with its tags', async () => {
    const watch = here(readmeExample('distw peers --watch'))
    const watched = waitForOutput(watch, (text) => text.includes('render-box') && text.includes('192.168.1.21'), 60_000)
    const [peers, json] = await Promise.all([here(readmeExample('distw peers')), here(readmeExample('distw peers --wait 5s --json'))])
    expect(peers.exitCode, peers.stderr).toBe(0)
    expect(peers.stdout).toMatch(/render-box .*192\.168\.1\.20:7420/)
    expect(peers.stdout).toMatch(/^vm .*192\.168\.1\.21:7420/m)
    expect(peers.stdout).toMatch(/1 node of other pools/) // box: a secret of its own is another pool
    const { nodes, otherPools } = JSON.parse(json.stdout) as PeersJson
    expect(nodes.map((node) => `${node.address}:${node.port}`).sort()).toEqual(['192.168.1.20:7420', '192.168.1.21:7420'])
    expect(otherPools).toBe(1)
    expect(nodes.find((node) => node.name === 'render-box')?.tags).toEqual(['gpu', 'ffmpeg'])
    await watched.found
    lan.interrupt(watch)
    await watch
  })

  it('distw submit tasks.txt with --peer 192.168.1.20:7420 --peer 192.168.1.21, --no-local, --local', async () => {
    const lines = [
      readmeExample('distw submit tasks.txt --peer 192.168.1.20:7420 --peer 192.168.1.21'),
      readmeExample('distw submit tasks.txt --no-local'),
      readmeExample('distw submit tasks.txt --local'),
    ]
    // At once: three submitters sharing the two nodes (and, with --local, this machine).
    const batches = await Promise.all(lines.map((line) => here(line)))
    lines.forEach((line, i) => {
      const batch = batches[i] as Awaited<ReturnType<typeof here>>
      expect(batch.exitCode, `${line}\n${batch.stderr}`).toBe(0)
      expect(batch.stdout.match(/\[task-\d\] t\d on \S+/g), line).toHaveLength(4)
      if (!/ --local$/.test(line)) expect(batch.stdout, line).not.toMatch(/\(local\)/)
    })
  })

  it('distw submit tasks.txt --peer box:7420 --secret-file ~/distw.secret: box by its name, with its own secret', async () => {
    const batch = await here(readmeExample('distw submit tasks.txt --peer box:7420 --secret-file ~/distw.secret'))
    expect(batch.exitCode, batch.stderr).toBe(0)
    expect(batch.stdout.match(/\[task-\d\] t\d on \S+/g)).toHaveLength(4)
  })

  // Runs a `distw top` line in a terminal (tmux, its server in this machine's namespace), waits for the
  // task's progress bar and both nodes on its screen, then quits it with q.
  async function topInTerminal(line: string, name: string) {
    const socket = path.join(home, name)
    // CI=false: Ink draws every frame, as on a user's terminal (under CI it draws only the last).
    const started = await lan.shell(me, `tmux -S ${socket} new-session -d -x 130 -y 30 '${line}'`, {
      cwd: home,
      env: { ...env, CI: 'false' },
    })
    expect(started.exitCode, started.stderr).toBe(0)
    const tmux = (...args: string[]) => execa('tmux', ['-S', socket, ...args], { reject: false })
    const screen = await until(
      async () => {
        const text = (await tmux('capture-pane', '-p')).stdout
        return /45% encoding frame 7/.test(text) && /192\.168\.1\.21/.test(text) && text
      },
      `${line} showing the task's progress`,
      60_000,
    )
    expect(screen, line).toMatch(/render-box .*busy/)
    await tmux('send-keys', 'q')
    await until(async () => (await tmux('has-session')).exitCode !== 0, `${line} quitting on q`, 20_000)
  }

  it('a task’s progress line shows in distw status and distw top, for every way of naming the nodes', async () => {
    const task = `${readmeExample('echo "::distw::progress 45 encoding frame 7"')}; sleep 120`
    await fs.writeFile(path.join(home, 'progress.txt'), `${task}\n`)
    const batch = here('distw submit progress.txt --peer 192.168.1.20:7420')
    try {
      const lines = [
        readmeExample('distw status'),
        readmeExample('distw status --peer 192.168.1.20:7420 --peer 192.168.1.21'),
        readmeExample('distw status --secret-file ~/.config/distw/secret'),
      ]
      // The task may still be on its way: the JSON line is asked until it shows the progress.
      const report = await until(
        async () => {
          const json = await here(readmeExample('distw status --peer 192.168.1.20 --json'))
          const [node] = (JSON.parse(json.stdout || '{"nodes":[]}') as { nodes: StatusJson[] }).nodes
          return node?.state.running[0]?.percent === 45 && node
        },
        'the progress of the task in distw status --json',
        60_000,
      )
      expect(report.peer).toBe('192.168.1.20')
      expect(report.state.node.name).toBe('render-box')
      expect(report.state.running[0]).toMatchObject({ percent: 45, text: 'encoding frame 7' })
      const reports = await Promise.all(lines.map((line) => here(line)))
      lines.forEach((line, i) => {
        const status = reports[i] as Awaited<ReturnType<typeof here>>
        expect(status.exitCode, `${line}\n${status.stderr}`).toBe(0)
        expect(status.stdout, line).toMatch(/render-box .*192\.168\.1\.20:7420/)
        expect(status.stdout, line).toMatch(/^vm {2}192\.168\.1\.21(:7420)? /m)
        expect(status.stdout, line).toMatch(/45% encoding frame 7/)
      })
      const tops = [
        readmeExample('distw top'),
        readmeExample('distw top --peer 192.168.1.20:7420 --peer 192.168.1.21'),
        readmeExample('distw top --secret-file ~/.config/distw/secret'),
      ]
      await Promise.all(tops.map((line, i) => topInTerminal(line, `tmux-${i}`)))
    } finally {
      lan.interrupt(batch)
      await batch
    }
  })
})
