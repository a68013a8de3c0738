// Faults injected into real processes: a daemon SIGKILLed mid-task, a submitter SIGKILLed mid-task.
import { execa } from 'execa'
import fs from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { CLI, distw, spawnDaemon, tempDir } from '../helpers/cli.js'
import { alive, pidIn, taskRoot, until } from '../helpers/wait.js'

const json = (task: object) => JSON.stringify(task)

describe('fault injection', () => {
  it('a daemon SIGKILLed mid-task: the batch completes elsewhere, each output exactly once', async () => {
    const a = await spawnDaemon(['--slots', '2', '--name', 'doomed'])
    const b = await spawnDaemon(['--slots', '2', '--name', 'survivor'])
    const dir = await tempDir()
    const tasks = Array.from({ length: 8 }, (_, i) =>
      json({ name: `t${i}`, run: `echo begin-${i}; sleep 0.5; echo end-${i} > out-${i}.txt; echo done-${i}` }),
    )
    await fs.writeFile(path.join(dir, 'tasks.txt'), tasks.join('\n'))

    const joblog = path.join(dir, 'job.log')
    const run = distw(['submit', 'tasks.txt', '--peer', a.peer, '--peer', b.peer, '--heartbeat', '500ms', '--joblog', joblog], { cwd: dir })
    await until(() => a.log().includes('task started'), 'a task to start on the doomed node')
    a.child.kill('SIGKILL')
    const result = await run

    expect(result.stderr).toContain('8 succeeded')
    expect(result.exitCode).toBe(0)
    const lines = result.stdout.split('\n')
    for (let i = 0; i < 8; i++) {
      expect(lines.filter((l) => l === `[t${i}] begin-${i}`)).toHaveLength(1)
      expect(lines.filter((l) => l === `[t${i}] done-${i}`)).toHaveLength(1)
      expect(await fs.readFile(path.join(dir, `out-${i}.txt`), 'utf8')).toBe(`end-${i}\n`)
    }
    expect(result.stderr).toMatch(/node doomed lost/)
    expect(result.stderr).not.toMatch(/node survivor lost/)
    // The job log: the cut attempts are `requeued`, with why; each task then succeeded once, as attempt 1.
    const [header, ...rows] = (await fs.readFile(joblog, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => l.split('\t'))
    const at = (name: string) => header!.indexOf(name)
    const cut = rows.filter((r) => r[at('node')] === 'doomed' && r[at('status')] !== 'succeeded')
    expect(cut.length).toBeGreaterThan(0)
    for (const r of cut) {
      expect(r[at('status')]).toBe('requeued')
      expect(r[at('reason')]).toMatch(/doomed|lost|closed/)
    }
    for (let i = 0; i < 8; i++) {
      const ok = rows.filter((r) => r[at('task')] === `t${i}` && r[at('status')] === 'succeeded')
      expect(ok.map((r) => r[at('attempt')])).toEqual(['1'])
    }
  })

  it('a frozen daemon (SIGSTOP: TCP stays open) is found lost by the heartbeat; its task runs elsewhere', async () => {
    const a = await spawnDaemon(['--slots', '1', '--name', 'frozen'])
    const b = await spawnDaemon(['--slots', '1', '--name', 'awake'])
    const dir = await tempDir()
    const tasks = [0, 1, 2, 3].map((i) => json({ name: `f${i}`, run: `sleep 0.3; echo out-${i}` }))
    await fs.writeFile(path.join(dir, 'tasks.txt'), tasks.join('\n'))

    const run = distw(['submit', 'tasks.txt', '--peer', a.peer, '--peer', b.peer, '--heartbeat', '300ms'], { cwd: dir })
    await until(() => a.log().includes('task started'), 'a task to start on the node to freeze')
    a.child.kill('SIGSTOP')
    try {
      const result = await run
      expect(result.exitCode).toBe(0)
      expect(result.stderr).toMatch(/node frozen lost/)
      const lines = result.stdout.split('\n')
      for (let i = 0; i < 4; i++) expect(lines.filter((l) => l === `[f${i}] out-${i}`)).toHaveLength(1)
    } finally {
      a.child.kill('SIGKILL')
    }
  })

  it('a SIGKILLed submitter leaves no process and no working folder after the grace', async () => {
    const node = await spawnDaemon(['--submitter-grace', '300ms', '--heartbeat', '200ms'])
    const dir = await tempDir()
    const pidFile = path.join(dir, 'task.pid')
    const submitter = execa(process.execPath, [CLI, 'submit', '-', '--peer', node.peer], {
      cwd: dir,
      input: `echo $$ > ${pidFile}; exec sleep 60\n`,
      reject: false,
      env: { CI: 'true' },
    })
    try {
      const pid = await pidIn(pidFile)
      const tasks = taskRoot(node.log())
      expect((await fs.readdir(tasks)).length).toBe(1)
      expect(alive(pid)).toBe(true)

      submitter.kill('SIGKILL')
      await until(() => node.log().includes('submitter lost'), 'the daemon to notice the lost submitter')
      await until(() => !alive(pid), 'the task to be killed')
      await until(async () => (await fs.readdir(tasks)).length === 0, 'the task folder to be removed')
    } finally {
      submitter.kill('SIGKILL')
      await submitter
    }
  })
})
