// `distw top` in a real terminal (tmux) against real daemon processes running a real batch, and with no
// terminal on stdin (no keys: a signal ends it).
import { execa } from 'execa'
import fs from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { CLI, distw, spawnDaemon, tempDir } from '../helpers/cli.js'
import { until } from '../helpers/wait.js'

const tmux = (...args: string[]) => execa('tmux', args, { reject: false })
const pane = async (session: string) => (await tmux('capture-pane', '-p', '-t', session)).stdout

// Polls the pane until `ok` holds for its text; returns the last text either way.
async function paneUntil(session: string, ok: (text: string) => boolean, tries = 600): Promise<string> {
  let text = ''
  for (let i = 0; i < tries; i++) {
    text = await pane(session)
    if (ok(text)) break
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return text
}

describe('distw top in a terminal', () => {
  it('shows the nodes and task progress, opens details, cancels our task with c, and quits cleanly on q', async () => {
    const a = await spawnDaemon(['--slots', '2', '--name', 'top-node-a'])
    const b = await spawnDaemon(['--slots', '1', '--name', 'top-node-b'])
    const dir = await tempDir()
    const tasks = [1, 2, 3]
      .map((i) => JSON.stringify({ name: `frame-${i}`, run: `echo "::distw::progress ${i * 20} encoding frame ${i}"; sleep 300` }))
      .join('\n')
    const batch = distw(['submit', '-', '--peer', a.peer, '--peer', b.peer], { cwd: dir, input: `${tasks}\n` })
    const session = `distw-top-${process.pid}-${Date.now()}`
    const exitFile = path.join(dir, 'top-exit')
    // CI=true makes Ink draw only the last frame: the TUI runs without it, as a user's terminal would.
    const script = `env -u CI ${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} top --peer ${a.peer} --peer ${b.peer}; echo $? > ${JSON.stringify(exitFile)}; sleep 30`
    try {
      const started = await tmux('new-session', '-d', '-s', session, '-x', '130', '-y', '30', script)
      expect(started.exitCode).toBe(0)
      const text = await paneUntil(
        session,
        (t) => t.includes('encoding frame 1') && t.includes('encoding frame 3') && t.includes('encoding frame 2'),
      )
      expect(text).toContain('top-node-a')
      expect(text).toContain('top-node-b')
      expect(text).toMatch(/top-node-a .*busy/)
      expect(text).toMatch(/frame-2 .*40% encoding frame 2/)
      expect(text).toMatch(/running 3/)

      // tab to the tasks pane, enter: details of the selected task; enter again: back; c: cancel it (ours).
      // One key at a time, as typed: keys arriving in one read are one input to Ink.
      const key = async (name: string) => {
        await tmux('send-keys', '-t', session, name)
        await new Promise((resolve) => setTimeout(resolve, 400))
      }
      await key('Tab')
      await key('Enter')
      const details = await paneUntil(session, (t) => t.includes('output tail:'))
      expect(details).toMatch(/frame-\d on top-node-[ab], .* by .* \(yours\)/)
      expect(details).toContain('$ echo "::distw::progress')
      await key('Enter')
      await paneUntil(session, (t) => t.includes('PROGRESS'))
      // c asks first (rows re-sort, a cancel must be meant); y confirms.
      await key('c')
      expect(await paneUntil(session, (t) => t.includes('y to cancel'))).toMatch(/cancel frame-\d on top-node-[ab]\? y to cancel/)
      await key('y')
      const cancelled = await paneUntil(session, (t) => t.includes('finished 1 (1 failed)'))
      expect(cancelled).toContain('running 2')
      expect(cancelled).toMatch(/cancel sent for frame-\d/)

      await tmux('send-keys', '-t', session, 'q')
      let code = ''
      for (let i = 0; i < 300 && code === ''; i++) {
        code = await fs.readFile(exitFile, 'utf8').catch(() => '')
        if (code === '') await new Promise((resolve) => setTimeout(resolve, 100))
      }
      expect(code.trim()).toBe('0')
      // The alternate screen is left: the TUI's rows are gone from the restored terminal.
      expect(await pane(session)).not.toContain('top-node-a')
    } finally {
      await tmux('kill-session', '-t', session)
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
