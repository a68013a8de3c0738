// Tasks under a node's cgroup start from launchers (src/daemon/run/launcher.mjs): a perl process that forks
// each task, retired after PAIRS tasks. The cases every start inside a cgroup must pass, and what the
// launcher changes: pipes of a task's own while others run from the same launcher, exit statuses and
// signals as the kernel gave them, a process group of its own, nothing left of a retired launcher.
import { execFile } from 'node:child_process'
import { randomInt } from 'node:crypto'
import { readFileSync } from 'node:fs'
import fs from 'node:fs/promises'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterEach, describe, expect, it } from 'vitest'
import { execute } from '../../src/daemon/run/executor.js'
import { PAIRS } from '../../src/daemon/run/launcher.mjs'
import { cgroupIfKilled } from '../../src/daemon/run/spawn-helper-client.js'
import { tempDir } from '../helpers/cli.js'
import { until } from '../helpers/wait.js'
import { cgroupsHere, closeTrees, collect, describeStartsInCgroup, nodeTree, options, running } from './in-cgroup-cases.js'

const run = promisify(execFile)
const perl = await run('perl', ['-e', '1']).then(
  () => true,
  () => false,
)

// The launchers this test process's spawn helper runs (its children running perl).
async function launchers(): Promise<number[]> {
  const { stdout } = await run('pgrep', ['-P', String(process.pid), '-f', 'spawn-helper-main']).catch(() => ({ stdout: '' }))
  const found: number[] = []
  for (const helper of stdout.split('\n').filter(Boolean)) {
    const children = readFileSync(`/proc/${helper}/task/${helper}/children`, 'utf8').split(/\s+/).filter(Boolean)
    for (const pid of children) if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'perl') found.push(Number(pid))
  }
  return found
}

describe.skipIf(!perl)('launchers', () => {
  describeStartsInCgroup('tasks started from launchers')

  describe.skipIf(!cgroupsHere)('what the launcher changes', () => {
    afterEach(closeTrees)

    it('each task has pipes of its own: what a daemonized child of one writes never reaches the next', async () => {
      const tree = await nodeTree()
      const tag = `${randomInt(100_000, 999_999)}`
      const first = collect()
      let printed!: () => void
      const oneRuns = new Promise<void>((resolve) => (printed = resolve))
      // Its child leaves its process group and holds stdout past the task's end (until the helper's grace
      // runs out), writing twice; the second task runs meanwhile, from the same launcher.
      const one = execute(
        await options(
          tree,
          { shell: `setsid sh -c 'echo early-${tag}; sleep 0.5; echo late-${tag}' & sleep 0.2; echo one` },
          {
            onOutput: (stream, data) => {
              void first.onOutput(stream, data)
              if (first.text().includes('one')) printed()
              return undefined
            },
          },
        ),
      )
      await oneRuns
      const second = collect()
      const two = await execute(await options(tree, { shell: 'sleep 1; echo two; ls /proc/$$/fd' }, { onOutput: second.onOutput }))
      expect(two.exitCode).toBe(0)
      expect(second.text()).toBe('two\n0\n1\n2\n')
      expect((await one).exitCode).toBe(0)
      expect(first.text()).toContain(`early-${tag}`)
    })

    it('reports exit codes and signals as the kernel gave them, 128 + n included', async () => {
      const tree = await nodeTree()
      const status = async (line: string): Promise<[number | null, string | null]> => {
        const r = await execute(await options(tree, { argv: ['sh', '-c', line] }))
        return [r.exitCode, r.signal]
      }
      expect(await status('exit 3')).toEqual([3, null])
      expect(await status('exit 143')).toEqual([143, null])
      expect(await status('kill -TERM $$')).toEqual([null, 'SIGTERM'])
      expect(await status('kill -SEGV $$')).toEqual([null, 'SIGSEGV'])
    })

    it('a task ignores and blocks no signal, and leads a process group of its own', async () => {
      const tree = await nodeTree()
      // Programs run directly, so what they read of /proc/self is the task's own (a waiting sh blocks all signals).
      const signals = collect()
      expect(
        (await execute(await options(tree, { argv: ['grep', '-E', '^Sig(Ign|Blk)', '/proc/self/status'] }, { onOutput: signals.onOutput })))
          .exitCode,
      ).toBe(0)
      expect(signals.text()).toMatch(/^SigBlk:\s+0+\nSigIgn:\s+0+\n$/)
      const ids = collect()
      expect(
        (await execute(await options(tree, { argv: ['cut', '-d', ' ', '-f1,5', '/proc/self/stat'] }, { onOutput: ids.onOutput }))).exitCode,
      ).toBe(0)
      const [pid, group] = ids.text().trim().split(' ')
      expect(group).toBe(pid)
    })

    it('a cancel, even before the pid is known, and a timeout end the whole tree', async () => {
      const tree = await nodeTree()
      const tag = `${randomInt(100_000, 999_999)}.${randomInt(100, 999)}`
      const abort = new AbortController()
      const cancelled = execute(await options(tree, { shell: `sleep ${tag} & setsid sleep ${tag} & wait` }, { signal: abort.signal }))
      abort.abort()
      expect(await cancelled).toMatchObject({ cancelled: true, signal: 'SIGTERM' })
      let started!: () => void
      const running2 = new Promise<void>((resolve) => (started = resolve))
      const timedOut = execute(
        await options(tree, { shell: `sleep ${tag} & setsid sleep ${tag} & wait` }, { timeoutMs: 300, onStarted: () => started() }),
      )
      await running2
      expect(await timedOut).toMatchObject({ timedOut: true })
      expect(await running(tag)).toEqual([])
    })

    it('a program found on PATH once and removed since is reported as a spawn would report it', async () => {
      const tree = await nodeTree()
      const bin = await tempDir()
      const name = `tool-${randomInt(100_000, 999_999)}`
      await fs.writeFile(path.join(bin, name), '#!/bin/sh\necho tool ran\n', { mode: 0o755 })
      const env = { PATH: `${bin}:${process.env['PATH'] ?? '/usr/bin:/bin'}` }
      const out = collect()
      expect((await execute(await options(tree, { argv: [name] }, { env, onOutput: out.onOutput }))).exitCode).toBe(0)
      expect(out.text()).toBe('tool ran\n')
      // The helper remembers it was found: the launcher's child reports the exec that fails now.
      await fs.rm(path.join(bin, name))
      expect((await execute(await options(tree, { argv: [name] }, { env }))).startError).toBe(`could not start ${name}: ENOENT`)
      const line = collect()
      const shell = await execute(await options(tree, { shell: name }, { env, onOutput: line.onOutput }))
      expect(shell.exitCode).toBe(127)
      expect(line.text()).toMatch(new RegExp(`${name}: .*not found`))
    })

    it('a task after one whose cgroup was killed (it left a child behind) runs: a killed cgroup is not reused', async () => {
      const tree = await nodeTree()
      // Linux ≥ 6.14 kills a child cloned into a cgroup written to `cgroup.kill` (launcher.mjs): the next task
      // would get the emptied cgroup and die at birth. Its own output is not held by the child, so it ends at once.
      const left = await execute(await options(tree, { shell: `setsid sleep 30 >/dev/null 2>&1 </dev/null & echo left` }))
      expect(left.exitCode).toBe(0)
      const codes: Array<number | null> = []
      for (let i = 0; i < 3; i++) codes.push((await execute(await options(tree, { argv: ['true'] }))).exitCode)
      expect(codes).toEqual([0, 0, 0])
    })

    it(`runs more tasks than a launcher has pairs (${PAIRS}), several at once, and leaves no launcher once its node is gone`, async () => {
      const tree = await nodeTree()
      const results = await Promise.all(
        Array.from({ length: 3 * PAIRS + 3 }, async (_, i) => {
          const out = collect()
          const r = await execute(await options(tree, { argv: ['echo', `task ${i}`] }, { onOutput: out.onOutput }))
          return `${r.exitCode} ${out.text()}`
        }),
      )
      expect(results).toEqual(Array.from({ length: 3 * PAIRS + 3 }, (_, i) => `0 task ${i}\n`))
      // Retired launchers exit once their tasks are reaped: the one handing out pairs and the next are left.
      await until(async () => (await launchers()).length <= 2, 'retired launchers to exit')
      // The daemon says so when it has removed its node's cgroup: the node's launchers go then.
      const dir = tree.dir as string
      cgroupIfKilled(dir)
      await closeTrees()
      cgroupIfKilled(dir, true)
      await until(async () => (await launchers()).length === 0, 'the launchers of a closed node to exit')
    })
  })
})
