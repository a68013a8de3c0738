// A task's working folder: made fresh, filled with its inputs, snapshotted before the command starts,
// and diffed after it ends to find what to send back.
import fsSync from 'node:fs'
import fs from 'node:fs/promises'
import path from 'node:path'
import { toWirePath } from '../transfer/paths.js'

export interface Entry {
  kind: 'file' | 'symlink' | 'other'
  size: number
  mtimeNs: bigint
  ino: bigint
  mode: number
}
export type Snapshot = Map<string, Entry>

export interface Diff {
  /** Regular files created or changed, wire paths. */
  changed: { path: string; size: number; mode: number }[]
  deleted: string[]
  /** Things that changed but cannot be returned (links, devices), with why. */
  skipped: { path: string; reason: string }[]
}

/** Walks a folder without following symlinks. Wire paths (posix, relative) as keys. */
export async function snapshot(root: string): Promise<Snapshot> {
  const result: Snapshot = new Map()
  const walk = async (dir: string): Promise<void> => {
    for (const dirent of await fs.readdir(dir, { withFileTypes: true })) {
      const full = path.join(dir, dirent.name)
      const stat = await fs.lstat(full, { bigint: true })
      if (stat.isDirectory()) {
        await walk(full)
        continue
      }
      const kind = stat.isFile() ? 'file' : stat.isSymbolicLink() ? 'symlink' : 'other'
      result.set(toWirePath(path.relative(root, full)), {
        kind,
        size: Number(stat.size),
        mtimeNs: stat.mtimeNs,
        ino: stat.ino,
        mode: Number(stat.mode & 0o7777n),
      })
    }
  }
  await walk(root)
  return result
}

export function diff(before: Snapshot, after: Snapshot, wanted: (path: string) => boolean): Diff {
  const result: Diff = { changed: [], deleted: [], skipped: [] }
  for (const [file, entry] of after) {
    const old = before.get(file)
    const isNew = !old || old.kind !== entry.kind || old.size !== entry.size || old.mtimeNs !== entry.mtimeNs || old.ino !== entry.ino
    if (!isNew || !wanted(file)) continue
    if (entry.kind === 'file') result.changed.push({ path: file, size: entry.size, mode: entry.mode })
    else result.skipped.push({ path: file, reason: entry.kind === 'symlink' ? 'symbolic links are not returned' : 'not a regular file' })
  }
  for (const file of before.keys()) if (!after.has(file)) result.deleted.push(file)
  result.changed.sort((a, b) => a.path.localeCompare(b.path))
  return result
}

// A fast path for the common trivial task (no inputs, no outputs): a synchronous readdir costs
// microseconds, while each trip through libuv's thread pool costs a scheduling delay that, on a
// loaded 2-core machine, was milliseconds a task (bench/spawn-overhead.mjs).

/** Snapshot of a folder, answered without a walk when it is empty. */
export async function snapshotQuick(root: string): Promise<Snapshot> {
  return fsSync.readdirSync(root).length === 0 ? new Map() : snapshot(root)
}
