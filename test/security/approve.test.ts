// daemon --approve with real daemons and real submits: a program on no list is held (the submitter is
// told why) until the owner approves it with `distw approve HASH` (kept across a restart) or denies it,
// or --approve-timeout passes; only the owner's token, over loopback, is taken as an answer.
import { createHash } from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { distw, shell, spawnDaemon, tempDir } from '../helpers/cli.js'
import { readmeExample } from '../helpers/readme.js'
import { until } from '../helpers/wait.js'
import { distwInTerminal } from '../helpers/tmux.js'

// A program of its own for each case (its hash is what gets approved), in the submit folder: a task
// line naming it carries it to the node.
async function program(dir: string, name: string): Promise<string> {
  const file = path.join(dir, name)
  await fs.writeFile(file, `#!/bin/sh\n# ${name} ${Math.random()}\necho "$0 says $1"\n`, { mode: 0o755 })
  return createHash('sha256')
    .update(await fs.readFile(file))
    .digest('hex')
}

// Submits `line` with the JSON reporter and resolves, once the node holds the task, with the wait's text.
function submitHeld(dir: string, peer: string, line: string, env: Record<string, string>) {
  const batch = distw(['submit', '-', '--json', '--peer', peer], { cwd: dir, input: `${line}\n`, env })
  let out = ''
  batch.stdout?.on('data', (d: Buffer) => (out += d.toString()))
  const waits = (): string[] =>
    out
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { event: string; for?: string | null })
      .flatMap((e) => (e.event === 'waiting' && e.for ? [e.for] : []))
  const held = until(() => waits().find((w) => w.includes('waiting for approval')), 'the task to be held', 60_000)
  return { batch, held }
}

describe('daemon --approve', () => {
  it('holds a task until `distw approve HASH`, keeps the approval across a restart, and fails a denied one with the reason', async () => {
    const config = await tempDir('distw-approve-config-')
    const env = { XDG_CONFIG_HOME: config }
    const dir = await tempDir()
    const digest = await program(dir, 'render.sh')
    const node = await spawnDaemon(['--approve', '--slots', '2', '--name', 'owner-node'], { env })

    const first = submitHeld(dir, node.peer, './render.sh frame-1', env)
    const reason = await first.held
    expect(reason).toContain(`sha256 ${digest}`)
    expect(reason).toContain(`distw approve ${digest}`)
    // Held, not failed: the task has not started and nothing ended yet.
    expect(first.batch.exitCode).toBeNull()
    // Someone else on this machine (another user: another config folder, no owner token) is refused.
    const stranger = await distw(['approve', digest, '--peer', node.peer], { env: { XDG_CONFIG_HOME: await tempDir() } })
    expect(stranger.exitCode).not.toBe(0)
    expect(stranger.stderr).toMatch(/no owner token/)
    const approved = await shell(readmeExample('distw approve HASH', { HASH: digest }), {
      cwd: dir,
      env: { ...env, DISTW_PEERS: node.peer },
    })
    expect(approved.stderr).toBe('')
    expect(approved.stdout).toMatch(new RegExp(`approved sha256 ${digest} on owner-node: 1 held task\\(s\\) start now`))
    const done = await first.batch
    expect(done.exitCode).toBe(0)
    expect(done.stdout).toContain('says frame-1')
    expect(await fs.readFile(path.join(config, 'distw', 'allow-exe'), 'utf8')).toContain(digest)

    // Denied: the held task fails with the reason; a task of an approved program still runs.
    const other = await program(dir, 'other.sh')
    const second = submitHeld(dir, node.peer, './other.sh x', env)
    await second.held
    const denied = await shell(readmeExample('distw deny HASH', { HASH: other }), { cwd: dir, env: { ...env, DISTW_PEERS: node.peer } })
    expect(denied.stdout).toMatch(/denied sha256 .* 1 held task\(s\) fail/)
    const failed = await second.batch
    expect(failed.exitCode).not.toBe(0)
    expect(failed.stdout).toMatch(/was denied by this node's owner/)

    // A restarted node keeps the approval: the same program runs at once.
    node.child.kill('SIGTERM')
    await node.child
    const again = await spawnDaemon(['--approve', '--name', 'owner-node'], { env })
    const rerun = await distw(['submit', '-', '--peer', again.peer], { cwd: dir, input: './render.sh frame-2\n', env })
    expect(rerun.exitCode).toBe(0)
    expect(rerun.stdout).toContain('says frame-2')
    expect(rerun.stderr).not.toContain('approval')
  }, 180_000)

  it('fails a task nobody answered within --approve-timeout, and refuses an answer without the owner token', async () => {
    const config = await tempDir('distw-approve-config-')
    const env = { XDG_CONFIG_HOME: config }
    const dir = await tempDir()
    const digest = await program(dir, 'slow.sh')
    const node = await spawnDaemon(['--approve', '--approve-timeout', '3s'], { env })
    const held = submitHeld(dir, node.peer, './slow.sh', env)
    await held.held
    // A token file that is not the node's (a user who copied another's file, or made their own).
    const forged = await tempDir('distw-approve-forged-')
    await fs.mkdir(path.join(forged, 'distw'))
    await fs.writeFile(path.join(forged, 'distw', 'owner-token'), `${'ab'.repeat(32)}\n`, { mode: 0o600 })
    const refused = await distw(['approve', digest, '--peer', node.peer], { env: { XDG_CONFIG_HOME: forged } })
    expect(refused.exitCode).not.toBe(0)
    expect(refused.stderr).toMatch(/only this node's owner may approve/)
    const ended = await held.batch
    expect(ended.exitCode).not.toBe(0)
    expect(ended.stdout).toMatch(/was not approved by this node's owner within 3 s \(--approve-timeout\)/)
    expect(node.log()).toContain('approval refused')
  }, 120_000)

  it('lends a held task’s slot to approved programs meanwhile; approved, the task takes the next free slot', async () => {
    const config = await tempDir('distw-approve-config-')
    const env = { XDG_CONFIG_HOME: config }
    const dir = await tempDir()
    const mark = path.join(dir, 'busy-ended')
    const go = path.join(dir, 'busy-go')
    // new.sh says whether busy.sh had ended its work when it ran; busy.sh works until told to go on.
    await fs.writeFile(
      path.join(dir, 'new.sh'),
      '#!/bin/sh\nif [ -e "$1" ]; then echo "new ran after busy"; else echo "new ran beside busy"; fi\n',
      { mode: 0o755 },
    )
    await fs.writeFile(path.join(dir, 'busy.sh'), '#!/bin/sh\nwhile [ ! -e "$2" ]; do sleep 0.1; done\ntouch "$1"\n', { mode: 0o755 })
    const known = await program(dir, 'known.sh')
    const digestOf = async (name: string) =>
      createHash('sha256')
        .update(await fs.readFile(path.join(dir, name)))
        .digest('hex')
    const node = await spawnDaemon(['--approve', '--slots', '1', '--name', 'one-slot'], { env })
    for (const digest of [known, await digestOf('busy.sh')])
      expect((await distw(['approve', digest, '--peer', node.peer], { env })).exitCode).toBe(0)

    const held = submitHeld(dir, node.peer, `./new.sh ${mark}`, env)
    await held.held
    // The node's one slot serves another batch's approved program while new.sh waits for its owner.
    const other = await distw(['submit', '-', '--peer', node.peer], { cwd: dir, input: './known.sh b\n', env })
    expect(other.exitCode, other.stderr).toBe(0)
    expect(other.stdout).toContain('says b')
    expect(held.batch.exitCode).toBeNull()

    // Approved while the slot is busy: the task waits for it (and says so), and runs as soon as it is free.
    const busy = distw(['submit', '-', '--json', '--peer', node.peer], { cwd: dir, input: `./busy.sh ${mark} ${go}\n`, env })
    let busyOut = ''
    busy.stdout?.on('data', (d: Buffer) => (busyOut += d.toString()))
    await until(() => busyOut.includes('"event":"task-started"'), 'busy.sh to start', 60_000)
    let heldOut = ''
    held.batch.stdout?.on('data', (d: Buffer) => (heldOut += d.toString()))
    expect((await distw(['approve', await digestOf('new.sh'), '--peer', node.peer], { env })).exitCode).toBe(0)
    await until(() => heldOut.includes('approved; waiting for a free slot on this node'), 'the approved task to wait for the slot', 60_000)
    await fs.writeFile(go, '')
    expect((await busy).exitCode).toBe(0)
    const done = await held.batch
    expect(done.exitCode, done.stderr).toBe(0)
    expect(done.stdout).toContain('new ran after busy')
  }, 180_000)

  it('is answered from distw top in a terminal on that machine: a approves the selected held task, d then y denies one', async () => {
    const config = await tempDir('distw-approve-config-')
    const env = { XDG_CONFIG_HOME: config }
    const dir = await tempDir()
    await program(dir, 'encode.sh')
    await program(dir, 'wipe.sh')
    const node = await spawnDaemon(['--approve', '--slots', '2', '--name', 'desk-node'], { env })
    const first = submitHeld(dir, node.peer, './encode.sh clip-1', env)
    await first.held
    // The owner's config folder, as the daemon's.
    const term = await distwInTerminal(['top', '--peer', node.peer], { columns: 160, env: `XDG_CONFIG_HOME=${JSON.stringify(config)}` })
    try {
      await term.shows(/task-1 .*waiting for approval/)
      await term.key('Tab')
      await term.key('a')
      expect(await term.shows(/approved .*encode\.sh on desk-node: 1 held task\(s\) start/)).toBeTruthy()
      const done = await first.batch
      expect(done.exitCode).toBe(0)
      expect(done.stdout).toContain('says clip-1')

      const second = submitHeld(dir, node.peer, './wipe.sh all', env)
      await second.held
      await term.shows(/task-1 .*waiting for approval/)
      // d asks, like c: any key but y keeps the task waiting; y denies.
      await term.key('d')
      await term.shows(/deny \S*wipe\.sh on desk-node\? its held tasks fail; y to deny/)
      await term.key('n')
      await term.shows(/task-1 not denied: it still waits for approval/)
      expect(await term.pane()).toMatch(/task-1 .*waiting for approval/)
      expect(second.batch.exitCode).toBeNull()
      await term.key('d')
      await term.shows(/deny \S*wipe\.sh on desk-node\?/)
      await term.key('y')
      await term.shows(/denied .*wipe\.sh on desk-node: 1 held task\(s\) fail/)
      const denied = await second.batch
      expect(denied.exitCode).not.toBe(0)
      expect(denied.stdout).toMatch(/was denied by this node's owner/)
    } finally {
      await term.kill()
    }
  }, 180_000)
})
