// `distw top` in a real terminal (tmux) against real daemon processes running a real batch, and with no
// terminal on stdin (no keys: a signal ends it).
import fs from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { distw, spawnDaemon, tempDir } from '../helpers/cli.js'
import { distwInTerminal, type Terminal } from '../helpers/tmux.js'
import { until } from '../helpers/wait.js'

describe('distw top in a terminal', () => {
  it('shows the nodes and task progress, opens details, cancels our task with c, and quits cleanly on q', async () => {
    const a = await spawnDaemon(['--slots', '2', '--name', 'top-node-a'])
    const b = await spawnDaemon(['--slots', '1', '--name', 'top-node-b'])
    const dir = await tempDir()
    const tasks = [1, 2, 3]
      .map((i) => JSON.stringify({ name: `frame-${i}`, run: `echo "::distw::progress ${i * 20} encoding frame ${i}"; sleep 300` }))
      .join('\n')
    const batch = distw(['submit', '-', '--peer', a.peer, '--peer', b.peer], { cwd: dir, input: `${tasks}\n` })
    const exitFile = path.join(dir, 'top-exit')
    let terminal: Terminal | undefined
    try {
      terminal = await distwInTerminal(['top', '--peer', a.peer, '--peer', b.peer], { exitFile })
      const text = await terminal.shows(/^(?=[^]*encoding frame 1)(?=[^]*encoding frame 2)(?=[^]*encoding frame 3)/)
      expect(text).toContain('top-node-a')
      expect(text).toContain('top-node-b')
      expect(text).toMatch(/top-node-a .*busy/)
      expect(text).toMatch(/frame-2 .*40% encoding frame 2/)
      expect(text).toMatch(/running 3/)

      // tab to the tasks pane, enter: details of the selected task; enter again: back; c: cancel it (ours).
      // One key at a time, as typed: keys arriving in one read are one input to Ink.
      await terminal.key('Tab')
      await terminal.key('Enter')
      const details = await terminal.shows(/output tail:/)
      expect(details).toMatch(/frame-\d on top-node-[ab], .* by .* \(yours\)/)
      expect(details).toContain('$ echo "::distw::progress')
      await terminal.key('Enter')
      await terminal.shows(/PROGRESS/)
      // c asks first (rows re-sort, a cancel must be meant); y confirms.
      await terminal.key('c')
      expect(await terminal.shows(/y to cancel/)).toMatch(/cancel frame-\d on top-node-[ab]\? y to cancel/)
      await terminal.key('y')
      const cancelled = await terminal.shows(/finished 1 \(1 failed\)/)
      expect(cancelled).toContain('running 2')
      expect(cancelled).toMatch(/cancel sent for frame-\d/)

      await terminal.key('q')
      const code = await until(
        async () => (await fs.readFile(exitFile, 'utf8').catch(() => '')).trim() || undefined,
        'top to exit on q',
        30_000,
      )
      expect(code).toBe('0')
      // The alternate screen is left: the TUI's rows are gone from the restored terminal.
      expect(await terminal.pane()).not.toContain('top-node-a')
    } finally {
      await terminal?.kill()
      batch.kill('SIGINT')
    }
    // Four Node processes start on a shared 2-core machine: generous, not a performance claim.
  }, 120_000)

  it('runs without a terminal on stdin (no raw mode to ask for) and ends cleanly on SIGINT', async () => {
    const node = await spawnDaemon(['--slots', '1', '--name', 'no-tty-node'])
    const top = distw(['top', '--peer', node.peer])
    // Under CI=true Ink draws only the final frame, at exit: wait until top has connected as a monitor
    // (the node logs it), then for its first state and a redraw (every 250 ms).
    await until(() => node.log().includes('client connected'), 'top to connect to the node', 30_000)
    await new Promise((resolve) => setTimeout(resolve, 2500))
    top.kill('SIGINT')
    const run = await top
    expect(run.stderr).not.toContain('Raw mode')
    expect(run.exitCode).toBe(0)
    expect(run.stdout).toMatch(/no-tty-node .*idle/)
  }, 60_000)
})
