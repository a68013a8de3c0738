// What holds for every task started inside its node's cgroup, whether from a launcher (launcher.mjs, the
// usual way) or a held shell (held-start.mjs, where there is no perl): each task, and whatever it forks,
// is in a cgroup of its own from its first instruction, the task sees exactly its argv and env, and
// nothing of it (nor a launcher or held shell) outlives it or its node. Real cgroups and processes.
// Shared by launcher.test.ts and held-start.test.ts, which choose the way before the helper starts.
import { randomInt } from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { execute, type ExecOptions } from '../../src/daemon/run/executor.js'
import { openTaskTree, type TaskTree } from '../../src/daemon/run/task-tree.js'
import { tempDir } from '../helpers/cli.js'
import { alive, until } from '../helpers/wait.js'

const probe = await openTaskTree('heldtest', {})
export const cgroupsHere = probe.info.method === 'cgroup'
await probe.close()

let trees: TaskTree[] = []

/** Closes the node cgroups the test made (call from afterEach). */
export async function closeTrees(): Promise<void> {
  for (const t of trees) await t.close()
  trees = []
}

export async function nodeTree(): Promise<TaskTree> {
  const tree = await openTaskTree(`held${randomInt(1000, 9999)}`, {})
  trees.push(tree)
  return tree
}

export async function options(tree: TaskTree, command: ExecOptions['command'], more: Partial<ExecOptions> = {}): Promise<ExecOptions> {
  return {
    command,
    cwd: await tempDir(),
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' },
    tree: tree.forTask(),
    killGraceMs: 500,
    signal: new AbortController().signal,
    onOutput: () => undefined,
    ...more,
  }
}

export function collect(): { onOutput: ExecOptions['onOutput']; text: () => string } {
  const chunks: Buffer[] = []
  return { onOutput: (_stream, data) => void chunks.push(data), text: () => Buffer.concat(chunks).toString() }
}

// The cgroup v2 line of a /proc/PID/cgroup text (a hybrid hierarchy lists the v1 ones too).
export const v2 = (text: string): string =>
  text
    .split('\n')
    .find((line) => line.startsWith('0::'))
    ?.slice(3) ?? ''

// The processes whose command line contains `word` (the tag of a sleep nobody else runs).
export async function running(word: string): Promise<number[]> {
  const found: number[] = []
  for (const entry of await fs.readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    const cmdline = await fs.readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '')
    if (cmdline.includes(word) && alive(Number(entry))) found.push(Number(entry))
  }
  return found
}

/** The cases both ways must pass. */
export function describeStartsInCgroup(title: string): void {
  describe.skipIf(!cgroupsHere)(title, () => {
    afterEach(closeTrees)

    it('a task and what it double-forks are in a cgroup of its own under the node, and die with it', async () => {
      const tree = await nodeTree()
      const out = await tempDir()
      const tag = `${randomInt(100_000, 999_999)}.${randomInt(100, 999)}`
      const result = await execute(
        await options(tree, {
          shell: `(setsid sleep ${tag} > /dev/null 2>&1 & cat /proc/$!/cgroup > ${out}/child); cat /proc/self/cgroup > ${out}/task`,
        }),
      )
      expect(result.exitCode).toBe(0)
      const task = v2(await fs.readFile(path.join(out, 'task'), 'utf8'))
      const child = v2(await fs.readFile(path.join(out, 'child'), 'utf8'))
      expect(child).toBe(task)
      expect(tree.dir?.endsWith(path.dirname(task))).toBe(true)
      expect(await running(tag)).toEqual([])
    })

    it('an emptied task cgroup holds a later task (without caps)', async () => {
      const tree = await nodeTree()
      const seen: string[] = []
      for (let i = 0; i < 3; i++) {
        const out = collect()
        expect((await execute(await options(tree, { argv: ['cat', '/proc/self/cgroup'] }, { onOutput: out.onOutput }))).exitCode).toBe(0)
        seen.push(v2(out.text()))
      }
      // The first task's cgroup held the spare made while the second ran, which the third took.
      expect(new Set(seen).size).toBeLessThan(3)
    })

    it('the task gets exactly its argv, env and folder, quotes and newlines included', async () => {
      const tree = await nodeTree()
      const out = collect()
      const env = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', X: "it's\n$HOME `x` \\" }
      const opts = await options(
        tree,
        { argv: ['sh', '-c', 'printf "%s|" "$@" "$X" "$PWD" "$(pwd)"', 'sh', "a'b", 'c\nd', '$HOME', ''] },
        { env, onOutput: out.onOutput },
      )
      const result = await execute(opts)
      expect(result.exitCode).toBe(0)
      // No PWD in the env given: sh sets its own from the folder it starts in.
      expect(out.text()).toBe(`a'b|c\nd|$HOME||${env.X}|${opts.cwd}|${opts.cwd}|`)
    })

    it('a shell line sees PWD as `sh -c` started in its folder would (set and exported), and no OLDPWD', async () => {
      const tree = await nodeTree()
      const out = collect()
      const opts = await options(
        tree,
        { shell: 'printf "%s|" "$PWD" "$(printenv PWD)" "$(pwd)" "${OLDPWD-unset}"' },
        { onOutput: out.onOutput },
      )
      expect((await execute(opts)).exitCode).toBe(0)
      expect(out.text()).toBe(`${opts.cwd}|${opts.cwd}|${opts.cwd}|unset|`)
    })

    it('a program that does not exist is reported as before, and a shell line saying so still runs', async () => {
      const tree = await nodeTree()
      const missing = await execute(await options(tree, { argv: ['./no-such-program'] }))
      expect(missing.startError).toBe('could not start ./no-such-program: ENOENT')
      const out = collect()
      const line = await execute(await options(tree, { shell: 'no-such-program-here' }, { onOutput: out.onOutput }))
      expect(line.exitCode).toBe(127)
      expect(out.text()).toMatch(/no-such-program-here: .*not found/)
    })

    it('a task cancelled at once is stopped, and its node then closes with no held shell left', async () => {
      const tree = await nodeTree()
      const abort = new AbortController()
      const cancelled = execute(await options(tree, { shell: 'sleep 300' }, { signal: abort.signal }))
      abort.abort()
      expect(await cancelled).toMatchObject({ cancelled: true })
      expect(await tree.close()).toBe(true)
      await until(async () => (await fs.stat(tree.dir as string).catch(() => undefined)) === undefined, "the node's cgroup to be gone")
    })

    it('a task whose env sh cannot say (a held shell starts it the older way) is in a cgroup of its own all the same', async () => {
      const tree = await nodeTree()
      const out = collect()
      const env = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', 'NOT-A-NAME': '1' }
      const result = await execute(await options(tree, { argv: ['cat', '/proc/self/cgroup'] }, { env, onOutput: out.onOutput }))
      expect(result.exitCode).toBe(0)
      expect(tree.dir?.endsWith(path.dirname(v2(out.text())))).toBe(true)
    })
  })
}
