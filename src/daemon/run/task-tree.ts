// How this node finds every process a task started, to kill them all when the task ends: a cgroup v2
// of its own per task where the daemon may make one (`cgroup.kill` reaches `setsid` and double-forked
// children alike), else a marker variable set on every task and found in /proc/PID/environ (Jenkins'
// ProcessTreeKiller), which `setsid` and double forks keep too. Detected at start, never assumed: a
// hybrid hierarchy (v1 controllers, v2 with none), a container without write access, or another OS.
import { writeFileSync } from 'node:fs'
import fs from 'node:fs/promises'
import path from 'node:path'
import { UserError } from '../../errors.js'
import type { TaskTreeInfo } from '../../protocol/index.js'
import { nodeCgroupName, removeStaleNodeCgroups } from './stale-cgroups.js'
import { ownCgroup, tryRemoveCgroup, type Tree } from './task-tree.mjs'

export interface TaskCaps {
  /** cgroup `memory.max` of each task, bytes. */
  memoryBytes?: number | undefined
  /** cgroup `cpu.max` of each task, in CPUs (1.5 = one and a half cores). */
  cpus?: number | undefined
}

export interface TaskTree {
  readonly info: TaskTreeInfo
  /** The node's cgroup, when it has one. */
  readonly dir?: string
  /** Where the helper is told to put one task: the node's cgroup (it makes the task's own there), or only the marker. */
  forTask(): Tree
  /** Removes the node's cgroup (its tasks have ended); false if a process in it outlived 10 s of tries. */
  close(): Promise<boolean>
}

/**
 * Picks the method. `DISTW_NO_CGROUP=1` (or `cgroups: false`) forces the marker, so that path can be
 * tested on a machine that has cgroups. Caps asked for where they cannot be honoured are a UserError.
 */
export async function openTaskTree(nodeId: string, options: { cgroups?: boolean; caps?: TaskCaps } = {}): Promise<TaskTree> {
  const caps = options.caps ?? {}
  const wantsCaps = caps.memoryBytes !== undefined || caps.cpus !== undefined
  const disabled = options.cgroups === false || process.env.DISTW_NO_CGROUP === '1'
  const found = disabled ? { why: 'cgroups disabled (DISTW_NO_CGROUP=1)' } : await makeNodeCgroup(nodeId)
  if ('why' in found) {
    if (wantsCaps) throw capsRefused(found.why)
    return markerTree(nodeId, found.why)
  }
  const limits = wantsCaps
    ? await enableCaps(found.parent, found.dir, caps).catch(async (error: unknown) => {
        await fs.rmdir(found.dir).catch(() => {})
        throw error
      })
    : {}
  let seq = 0
  return {
    dir: found.dir,
    info: {
      method: 'cgroup',
      ...(caps.memoryBytes === undefined ? {} : { memoryBytes: caps.memoryBytes }),
      ...(caps.cpus === undefined ? {} : { cpus: caps.cpus }),
    },
    forTask: () => ({ parent: found.dir, limits, marker: `${nodeId}/t${++seq}` }),
    close: async () => {
      // Killed processes may take a while to exit on a loaded machine: retried without blocking.
      for (let attempt = 0; attempt < 200; attempt++) {
        if (tryRemoveCgroup(found.dir)) return true
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
      return false
    },
  }
}

function markerTree(nodeId: string, why: string): TaskTree {
  let seq = 0
  return {
    info: { method: 'environ', note: why.slice(0, 200) },
    forTask: () => ({ marker: `${nodeId}/t${++seq}` }),
    close: async () => true,
  }
}

function capsRefused(why: string): UserError {
  return new UserError(
    `--task-memory and --task-cpus need cgroup v2 with the memory and cpu controllers: ${why}`,
    'run the daemon where it may create cgroups (as root, or as a systemd service with Delegate=yes: `distw daemon install` writes it), or leave out the caps',
  )
}

// The daemon's own cgroup v2 folder, and a child for this node's tasks in it, with cgroup.kill
// working and a process allowed to move in (tried by this process, in and back out).
async function makeNodeCgroup(nodeId: string): Promise<{ parent: string; dir: string } | { why: string }> {
  if (process.platform !== 'linux') return { why: `no cgroups on ${process.platform}` }
  const parent = ownCgroup()
  if (parent === undefined) return { why: 'no cgroup v2 hierarchy mounted' }
  // Not waited for: killed processes may take a moment to exit, and the node does not need them gone.
  void removeStaleNodeCgroups(parent)
  const dir = path.join(parent, nodeCgroupName(nodeId))
  try {
    await fs.mkdir(dir)
  } catch (error) {
    return { why: `cannot create a cgroup in ${parent} (${(error as NodeJS.ErrnoException).code ?? 'error'})` }
  }
  const trial = path.join(dir, 'trial')
  const fail = async (why: string): Promise<{ why: string }> => {
    await fs.rmdir(trial).catch(() => {})
    await fs.rmdir(dir).catch(() => {})
    return { why }
  }
  try {
    await fs.access(path.join(dir, 'cgroup.kill'))
  } catch {
    return fail('the kernel has no cgroup.kill (needs Linux 5.14)')
  }
  // This process moves in and back out: what the spawn helper's held shells do (held-start.mjs), and
  // the helper itself for a task they cannot start.
  try {
    await fs.mkdir(trial)
    writeFileSync(path.join(trial, 'cgroup.procs'), String(process.pid))
    writeFileSync(path.join(parent, 'cgroup.procs'), String(process.pid))
  } catch (error) {
    return fail(`cannot move a process into a cgroup under ${parent} (${(error as NodeJS.ErrnoException).code ?? 'error'})`)
  }
  await fs.rmdir(trial).catch(() => {})
  return { parent, dir }
}

// Turns on the controllers the caps need, down to the node's cgroup, and returns the files each task's
// cgroup gets. A cgroup that holds processes (the daemon's, under a systemd service) cannot hand
// controllers down, so the daemon first moves itself into a leaf of its own there.
async function enableCaps(parent: string, dir: string, caps: TaskCaps): Promise<Record<string, string>> {
  const needed = [...(caps.memoryBytes === undefined ? [] : ['memory']), ...(caps.cpus === undefined ? [] : ['cpu'])]
  const available = (await fs.readFile(path.join(parent, 'cgroup.controllers'), 'utf8').catch(() => '')).trim().split(/\s+/)
  const missing = needed.filter((c) => !available.includes(c))
  if (missing.length > 0)
    throw capsRefused(`${parent} offers ${available.filter(Boolean).join(', ') || 'no controllers'}, not ${missing.join(', ')}`)
  const enable = needed.map((c) => `+${c}`).join(' ')
  try {
    await fs.writeFile(path.join(parent, 'cgroup.subtree_control'), enable)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EBUSY') throw capsRefused(`cannot enable ${enable} in ${parent}`)
    const leaf = path.join(parent, 'distw-daemon')
    await fs.mkdir(leaf).catch(() => {})
    await fs.writeFile(path.join(leaf, 'cgroup.procs'), String(process.pid)).catch(() => {})
    await fs.writeFile(path.join(parent, 'cgroup.subtree_control'), enable).catch(() => {
      throw capsRefused(`${parent} holds other processes than the daemon, so it cannot hand controllers down`)
    })
  }
  await fs.writeFile(path.join(dir, 'cgroup.subtree_control'), enable).catch(() => {
    throw capsRefused(`cannot enable ${enable} in ${dir}`)
  })
  const limits: Record<string, string> = {}
  if (caps.memoryBytes !== undefined) limits['memory.max'] = String(caps.memoryBytes)
  if (caps.cpus !== undefined) limits['cpu.max'] = `${Math.max(1000, Math.round(caps.cpus * 100_000))} 100000`
  return limits
}
