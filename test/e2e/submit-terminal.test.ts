// submit's terminal UX: under a pseudo-terminal (script(1)) a spinner line with counts; in a pipe
// plain lines only. Both runs leave CI unset, so only the terminal makes the difference.
import { execa } from 'execa'
import fs from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { CLI, spawnDaemon, tempDir } from '../helpers/cli.js'

const TASKS = ['sleep 0.6; echo first-output', 'sleep 1; echo "::distw::progress 50 half"; echo second-output'].join('\n')
const SPINNER = /\d\/2 done · \d running · 0 failed · 1 node/

describe('distw submit on a terminal and in a pipe', () => {
  it('shows a spinner line with done/total, running, failed and nodes only under a pseudo-terminal', async () => {
    const node = await spawnDaemon(['--slots', '2'])
    const dir = await tempDir()
    await fs.writeFile(path.join(dir, 'tasks.txt'), TASKS)
    // A pseudo-terminal made by script(1) from a pipe has no size; give it one, as a real terminal has.
    const command = `stty cols 120 rows 40; ${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} submit tasks.txt --peer ${node.peer}`
    const tty = await execa('env', ['-u', 'CI', 'script', '-qec', command, '/dev/null'], {
      cwd: dir,
      reject: false,
      timeout: 60_000,
      stdin: 'ignore',
    })
    expect(tty.exitCode).toBe(0)
    expect(tty.stdout).toMatch(SPINNER)
    expect(tty.stdout).toContain('[task-1] first-output')
    expect(tty.stdout).toContain('[task-2] second-output')
    expect(tty.stdout).toContain('2 succeeded')

    const pipe = await execa('env', ['-u', 'CI', process.execPath, CLI, 'submit', 'tasks.txt', '--peer', node.peer], {
      cwd: dir,
      reject: false,
      all: true,
      timeout: 60_000,
    })
    expect(pipe.exitCode).toBe(0)
    expect(pipe.all).not.toMatch(SPINNER)
    expect(pipe.all).not.toContain('\x1b[')
    expect(pipe.stdout).toBe('[task-1] first-output\n[task-2] second-output')
    expect(pipe.stderr).toContain('2 succeeded')
  }, 120_000)

  it('counts the ETA down every second, shows a lone task’s progress text, and honours NO_COLOR', async () => {
    const node = await spawnDaemon(['--slots', '1'])
    const dir = await tempDir()
    const tasks = ['sleep 2', 'echo "::distw::progress 40 encoding frame 7"; sleep 4'].join('\n')
    await fs.writeFile(path.join(dir, 'tasks.txt'), tasks)
    const run = (env: string) =>
      execa(
        'env',
        [
          '-u',
          'CI',
          ...env.split(' ').filter(Boolean),
          'script',
          '-qec',
          `stty cols 120 rows 40; ${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} submit tasks.txt --peer ${node.peer}`,
          '/dev/null',
        ],
        { cwd: dir, reject: false, timeout: 60_000, stdin: 'ignore' },
      )
    const plain = await run('NO_COLOR=1')
    expect(plain.exitCode).toBe(0)
    expect(plain.stdout).toContain('task-2 40% encoding frame 7')
    // The second task runs 4 s after the first took 2 s: the ETA shown moves while nothing ends.
    const etas = new Set(plain.stdout.match(/ETA \d+s/g))
    expect(etas.size).toBeGreaterThan(1)
    expect(plain.stdout).not.toMatch(/\x1b\[3\dm/) // no colour, the spinner's included
    const coloured = await run('')
    expect(coloured.stdout).toMatch(/\x1b\[3\dm/)
  }, 120_000)
})
