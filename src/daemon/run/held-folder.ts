// A task's folder walked, read and removed through a handle held on each folder, never by a path from
// the root: a process of the task still running could swap a folder on the way for a symlink between
// two looks, and a path walk would then read or delete outside the task folder. Each folder is opened
// with O_NOFOLLOW|O_DIRECTORY relative to its parent's handle (Linux: `/proc/self/fd/N/name` resolves
// only `name`, inside the folder the handle holds — Node has no openat), so a swapped folder fails to
// open (ELOOP, ENOTDIR) and is refused. Elsewhere each folder is lstat'ed before use: the old,
// weaker check, with a window between look and use.
import { constants, existsSync, lstatSync, opendirSync, readdirSync, type BigIntStats } from 'node:fs'
import fs, { type FileHandle } from 'node:fs/promises'

const VIA_PROC = process.platform === 'linux' && existsSync('/proc/self/fd')
const DIR_FLAGS = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW
/** Entries read from the kernel per batch: a folder of a million files is never listed whole. */
const BATCH = 128

/** An error that says a folder was not a folder when opened (a symlink or file swapped in for it). */
export function isSwapped(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code
  return code === 'ELOOP' || code === 'ENOTDIR'
}

const isGone = (error: unknown): boolean => (error as NodeJS.ErrnoException).code === 'ENOENT'

export class HeldFolder {
  private constructor(
    private readonly handle: FileHandle | undefined,
    /** A path that names this very folder, whatever is renamed around it (on Linux). */
    readonly path: string,
  ) {}

  /** Opens a folder, refusing a symlink in its place (ELOOP/ENOTDIR). */
  static async open(path: string): Promise<HeldFolder> {
    if (!VIA_PROC) {
      const stat = await fs.lstat(path)
      if (!stat.isDirectory()) throw Object.assign(new Error(`${path} is not a folder`), { code: 'ENOTDIR' })
      return new HeldFolder(undefined, path)
    }
    const handle = await fs.open(path, DIR_FLAGS)
    return new HeldFolder(handle, `/proc/self/fd/${handle.fd}`)
  }

  /** A path to the entry `name` of this folder: only `name` is looked up, inside the held folder. */
  entry(name: string): string {
    return `${this.path}/${name}`
  }

  child(name: string): Promise<HeldFolder> {
    return HeldFolder.open(this.entry(name))
  }

  /** The folder's entries, a batch at a time. */
  names(): AsyncIterable<{ name: string; isDirectory: boolean }> {
    const path = this.path
    return {
      async *[Symbol.asyncIterator]() {
        for await (const dirent of await fs.opendir(path, { bufferSize: BATCH }))
          yield { name: dirent.name, isDirectory: dirent.isDirectory() }
      },
    }
  }

  async close(): Promise<void> {
    await this.handle?.close()
  }
}

export interface WalkEntry {
  /** Relative to the root, `/`-separated. */
  path: string
  name: string
  /** The folder that holds it: read it through `folder.entry(name)`, with O_NOFOLLOW. */
  folder: HeldFolder
  stat: BigIntStats
}

/**
 * Every entry under `root` that is not a folder, depth first, folders entered through held handles.
 * A folder swapped for something else between its lstat and its opening goes to `swapped`, not followed.
 */
export async function* walkHeld(root: string, swapped: (path: string) => void): AsyncGenerator<WalkEntry> {
  const top = await HeldFolder.open(root)
  try {
    yield* walkIn(top, '', swapped)
  } finally {
    await top.close()
  }
}

async function* walkIn(folder: HeldFolder, prefix: string, swapped: (path: string) => void): AsyncGenerator<WalkEntry> {
  for await (const { name } of folder.names()) {
    const path = prefix + name
    let stat: BigIntStats
    try {
      stat = await fs.lstat(folder.entry(name), { bigint: true })
    } catch (error) {
      if (isGone(error)) continue
      throw error
    }
    if (!stat.isDirectory()) {
      yield { path, name, folder, stat }
      continue
    }
    let child: HeldFolder
    try {
      child = await folder.child(name)
    } catch (error) {
      if (isSwapped(error)) swapped(path)
      else if (!isGone(error)) throw error
      continue
    }
    try {
      yield* walkIn(child, `${path}/`, swapped)
    } finally {
      await child.close()
    }
  }
}

/** Passes over a folder that something keeps filling before the removal gives up (ENOTEMPTY). */
const REMOVE_PASSES = 3

/** Removes a folder and everything in it without following a symlink anywhere below it. */
export async function removeHeld(root: string): Promise<void> {
  for (let pass = 1; ; pass++) {
    let top: HeldFolder
    try {
      top = await HeldFolder.open(root)
    } catch (error) {
      if (isGone(error)) return
      if (isSwapped(error)) return fs.unlink(root) // the folder itself was replaced by a link: the link goes
      throw error
    }
    try {
      await emptyIn(top)
    } finally {
      await top.close()
    }
    try {
      await fs.rmdir(root)
      return
    } catch (error) {
      if (isGone(error)) return
      if ((error as NodeJS.ErrnoException).code !== 'ENOTEMPTY' || pass >= REMOVE_PASSES) throw error
    }
  }
}

async function emptyIn(folder: HeldFolder): Promise<void> {
  for await (const { name, isDirectory } of folder.names()) {
    const entry = folder.entry(name)
    if (!isDirectory) {
      try {
        await fs.unlink(entry) // never follows: a link is removed, not its target
        continue
      } catch (error) {
        if (isGone(error)) continue
        if ((error as NodeJS.ErrnoException).code !== 'EISDIR' && (error as NodeJS.ErrnoException).code !== 'EPERM') throw error
      }
    }
    let child: HeldFolder
    try {
      child = await folder.child(name)
    } catch (error) {
      if (isSwapped(error))
        await fs.unlink(entry).catch(() => {}) // a folder swapped for a link: the link goes
      else if (!isGone(error)) throw error
      continue
    }
    try {
      await emptyIn(child)
    } finally {
      await child.close()
    }
    await fs.rmdir(entry).catch((error: NodeJS.ErrnoException) => {
      // Swapped again meanwhile (ENOTDIR), or refilled (ENOTEMPTY: the next pass sees it).
      if (!isGone(error) && !isSwapped(error) && error.code !== 'ENOTEMPTY') throw error
    })
  }
}

/**
 * A folder whose own size is at most this holds a few hundred entries at most (ext4, XFS, tmpfs, btrfs
 * all grow a folder's size with its entries). A size of 0 says nothing on some file systems (FUSE): such
 * a folder is read one entry at a time.
 */
const SMALL_FOLDER_BYTES = 64 * 1024

/**
 * True when a folder has no entry, read synchronously: a synchronous look costs microseconds, while
 * each trip through libuv's thread pool costs a scheduling delay that, on a loaded 2-core machine, was
 * milliseconds a task (bench/spawn-overhead.mjs). A small folder is listed whole (~9 µs here); only a
 * large one is opened as a Dir and read one entry at a time (~23 µs: a Dir promisifies two methods
 * when it is made), so memory stays bounded whatever the task left.
 */
export function isEmptyNow(path: string): boolean {
  return emptyFolderMode(path) !== undefined
}

/** The permission bits of a folder that has no entry (isEmptyNow's look); undefined when it has one, or is no folder. */
export function emptyFolderMode(path: string): number | undefined {
  const { size, mode } = lstatSync(path)
  if ((mode & constants.S_IFMT) !== constants.S_IFDIR) return undefined
  if (size > 0 && size <= SMALL_FOLDER_BYTES) return readdirSync(path).length === 0 ? mode & 0o7777 : undefined
  const dir = opendirSync(path)
  try {
    return dir.readSync() === null ? mode & 0o7777 : undefined
  } finally {
    dir.closeSync()
  }
}
