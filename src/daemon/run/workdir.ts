// A task's working folder: snapshotted before the command starts (its inputs), and walked after it
// ends, each created or changed file sent back as the walk reaches it. Nothing is kept per file the task
// made, so memory does not grow with their number (a task that makes a million files is walked in a
// few MiB); every folder is entered through a held handle (held-folder.ts), never through a symlink.
import { createHash } from 'node:crypto'
import { constants } from 'node:fs'
import fs from 'node:fs/promises'
import { CACHED_OUTPUT_MIN_BYTES, CHUNK_BYTES } from '../../protocol/index.js'
import type { Channel } from '../../transfer/channel.js'
import { emptyFolderMode, walkHeld, type WalkEntry } from './held-folder.js'

export interface Entry {
  kind: 'file' | 'symlink' | 'other'
  size: number
  mtimeNs: bigint
  ino: bigint
}
/** The folder before the command: its inputs, by wire path. */
export type Snapshot = Map<string, Entry>

/** What the walk found besides the files it sent. */
export interface Changes {
  deleted: string[]
  /** Things that changed but cannot be returned (links, devices, swapped folders), with why. */
  skipped: { path: string; reason: string }[]
  /** The folder was seen empty after the task (its tree gone), with this mode: task-folders.ts need not look again. */
  emptyMode?: number
}

/**
 * Offered each returned file of at least CACHED_OUTPUT_MIN_BYTES once its bytes are read, with their
 * digest and the file's name through its folder's handle: true if the file was kept (in the blob cache).
 */
export type KeepOutput = (digest: string, file: string, stat: WalkEntry['stat']) => Promise<boolean>

/** Skipped entries listed in an exit; more are counted in one last entry (the frame stays small). */
export const MAX_SKIPPED_LISTED = 1000

function entryOf(e: WalkEntry): Entry {
  const kind = e.stat.isFile() ? 'file' : e.stat.isSymbolicLink() ? 'symlink' : 'other'
  return { kind, size: Number(e.stat.size), mtimeNs: e.stat.mtimeNs, ino: e.stat.ino }
}

const SWAPPED = 'a folder was replaced by a link while it was read (a process of the task still ran); not followed'

/** Walks a folder without following symlinks. Wire paths (posix, relative) as keys. */
export async function snapshot(root: string): Promise<Snapshot> {
  const result: Snapshot = new Map()
  for await (const e of walkHeld(root, () => {})) result.set(e.path, entryOf(e))
  return result
}

/**
 * Walks the folder after the command and sends every regular file created or changed since `before`
 * that `wanted` accepts; reports what was deleted and what could not be returned.
 */
export async function returnChanges(
  task: string,
  root: string,
  before: Snapshot,
  wanted: (path: string) => boolean,
  channel: Channel,
  keep?: KeepOutput,
  beforeFile: () => void = () => {},
): Promise<Changes> {
  // The common trivial task leaves its folder empty: one synchronous look, no walk (see emptyFolderMode).
  // A literal, not a spread of `changes`: V8 took its slow path for that spread, ~1.5% of the daemon's CPU.
  const emptyMode = before.size === 0 ? emptyOrGone(root) : undefined
  if (emptyMode !== undefined) return { deleted: [], skipped: [], emptyMode }
  const changes: Changes = { deleted: [], skipped: [] }
  let unlisted = 0
  const skip = (path: string, reason: string): void => {
    if (changes.skipped.length < MAX_SKIPPED_LISTED) changes.skipped.push({ path, reason })
    else unlisted++
  }
  const seen = new Set<string>()
  const buffer = Buffer.allocUnsafe(CHUNK_BYTES)
  for await (const e of walkHeld(root, (path) => skip(path, SWAPPED))) {
    const old = before.get(e.path)
    if (old) seen.add(e.path)
    const now = entryOf(e)
    const same = old && old.kind === now.kind && old.size === now.size && old.mtimeNs === now.mtimeNs && old.ino === now.ino
    if (same || !wanted(e.path)) continue
    if (now.kind === 'file') {
      beforeFile()
      await sendFile(task, e, buffer, channel, keep)
    } else skip(e.path, now.kind === 'symlink' ? 'symbolic links are not returned' : 'not a regular file')
  }
  // In path order, whatever order the folder was read in: the same task tells of the same things alike.
  changes.skipped.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
  if (unlisted > 0) changes.skipped.push({ path: '…', reason: `and ${unlisted} more not listed` })
  for (const file of before.keys()) if (!seen.has(file)) changes.deleted.push(file)
  return changes
}

// Sends the file's first `size` bytes (its size when the walk saw it) in chunks, the last one marked
// final: a small file is one frame. Opened through its folder's handle with O_NOFOLLOW, so a file
// swapped for a link is not read through it. One buffer serves the whole walk: each chunk is encoded
// into its frame before send() returns. A file big enough to be worth caching is hashed as it is read
// and offered to `keep` before its last chunk, which then says whether the node kept it.
async function sendFile(task: string, e: WalkEntry, buffer: Buffer, channel: Channel, keep: KeepOutput | undefined): Promise<void> {
  const mode = Number(e.stat.mode & 0o7777n)
  const size = Number(e.stat.size)
  const file = e.folder.entry(e.name)
  const handle = await fs.open(file, constants.O_RDONLY | constants.O_NOFOLLOW)
  // A file with another link (a task's `ln` of its input) is never kept (blob-store.ts): not hashed for it.
  const hash = keep && size >= CACHED_OUTPUT_MIN_BYTES && e.stat.nlink === 1n ? createHash('sha256') : undefined
  try {
    let offset = 0
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.length, size - offset), null)
      const final = bytesRead === 0 || offset + bytesRead >= size
      const data = buffer.subarray(0, bytesRead)
      hash?.update(data)
      // The hash covers exactly the bytes sent; the file is kept only if it still is what was read.
      const digest = final && hash && keep && offset + bytesRead === size ? hash.digest('hex') : undefined
      const cached = digest !== undefined && (await (keep as KeepOutput)(digest, file, e.stat)) ? digest : undefined
      await channel.send({ type: 'file', task, path: e.path, mode, offset, data, final, ...(cached ? { cached } : {}) })
      offset += bytesRead
      if (final) return
    }
  } finally {
    await handle.close()
  }
}

// The mode of the root when it is an empty folder. A link in the root's place is not empty: the walk refuses it.
function emptyOrGone(root: string): number | undefined {
  try {
    return emptyFolderMode(root)
  } catch {
    return undefined
  }
}
