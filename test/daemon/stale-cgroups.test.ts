// A daemon killed together with its spawn helper leaves its node cgroup behind; the next daemon started
// under the same parent removes it, and kills what is still in it (src/daemon/run/stale-cgroups.ts).
import { spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { describe, expect, it, onTestFinished } from 'vitest'
import { startDaemon } from '../../src/daemon/daemon.js'
import { nodeCgroupName } from '../../src/daemon/run/stale-cgroups.js'
import { ownCgroup, tryRemoveCgroup } from '../../src/daemon/run/task-tree.mjs'
import { until } from '../helpers/wait.js'

// Where this process may make cgroups (root on a cgroup2 mount), else the test is skipped.
const parent = (() => {
  const own = ownCgroup()
  if (own === undefined) return undefined
  const probe = path.join(own, nodeCgroupName('probe000'))
  try {
    fs.mkdirSync(probe)
    fs.rmdirSync(probe)
    return own
  } catch {
    return undefined
  }
})()

describe('node cgroups left by a dead daemon', () => {
  it.skipIf(parent === undefined)('are removed by the next daemon, their processes killed; a live daemon’s stay', async () => {
    const root = parent as string
    const deadPid = spawnSync('true').pid as number
    const stale = path.join(root, nodeCgroupName('stale000', deadPid))
    const live = path.join(root, nodeCgroupName('live0000'))
    fs.mkdirSync(path.join(stale, 'task-1'), { recursive: true })
    fs.mkdirSync(live)
    const orphan = spawn('sleep', ['300'], { stdio: 'ignore' })
    const exited = new Promise((resolve) => orphan.once('exit', (_code, signal) => resolve(signal)))
    onTestFinished(() => {
      orphan.kill('SIGKILL')
      for (const dir of [stale, live]) tryRemoveCgroup(dir)
    })
    fs.writeFileSync(path.join(stale, 'task-1', 'cgroup.procs'), String(orphan.pid))

    const daemon = await startDaemon({ port: 0, slots: 1 })
    onTestFinished(() => daemon.close())

    expect(await exited).toBe('SIGKILL')
    await until(() => !fs.existsSync(stale), 'the dead daemon’s cgroup to be removed', 10_000)
    expect(fs.existsSync(live)).toBe(true)
  })
})
