// Uploads lent to their first task (blob-store.ts says why): the verified uploads waiting for a task
// (spares, in `spare/`), the cache's copies being made from them, and the blobs whose lent file was
// changed by its task before that copy was made.
import { createHash, randomBytes } from 'node:crypto'
import { constants } from 'node:fs'
import fs, { type FileHandle } from 'node:fs/promises'
import path from 'node:path'
import { fileChunks } from '../../transfer/chunks.js'
import type { BlobIndex } from './blob-index.js'

/** Digests remembered as changed by the tasks they were lent to; past this the memory starts afresh. */
const MAX_REMEMBERED_CHANGES = 10_000

/** The cache's copy of a lent upload did not hash to its digest, or could not be read: its task changed it first. */
class SpareChanged extends Error {}

export class Lending {
  /** Verified uploads waiting for a task, by digest, each for one task; removed with their uploader's session. */
  private readonly spares = new Map<string, { file: string; owner: string }[]>()
  /** The cache's copies being made from spares, by digest. */
  private readonly storing = new Map<string, Promise<void>>()
  /**
   * Blobs whose lent file was changed by its task before the cache's copy was made: not lent again, or
   * a batch of tasks that all change a shared input would have it sent again for each of them.
   */
  private readonly changedWhenLent = new Set<string>()
  private closed = false

  constructor(
    private readonly root: string,
    private readonly index: BlobIndex,
    /**
     * Off where lending saves no write. Turned off for good when a cache copy fails for any reason but
     * a changed spare (no /proc, a full disk): every later upload would be sent again for nothing.
     */
    private enabled: boolean,
  ) {}

  /** Whether a verified upload of `digest` is to be lent, rather than stored at once. */
  wanted(digest: string): boolean {
    return this.enabled && !this.changedWhenLent.has(digest)
  }

  /** The cache's copy of `digest` is being made from a spare. */
  copying(digest: string): boolean {
    return this.storing.has(digest)
  }

  /** Settles once the cache's copy of `digest` in progress, if any, is stored or has failed. */
  stored(digest: string): Promise<void> | undefined {
    return this.storing.get(digest)
  }

  /**
   * Moves the verified upload `file` to spare/ for `owner`'s first task, and starts the cache's copy of
   * it unless the cache has the blob or is getting it. False when no spare can be made (spare/ is broken).
   */
  async lend(file: string, digest: string, size: number, owner: string, ownerGone: () => boolean): Promise<boolean> {
    const spare = path.join(this.root, 'spare', path.basename(file))
    let source: FileHandle | undefined
    try {
      await fs.rename(file, spare)
      // Opened before the spare is offered: a task may be given it (renamed) at any point after.
      if (!this.index.has(digest) && !this.storing.has(digest)) source = await fs.open(spare, 'r')
    } catch {
      await source?.close()
      await fs.rename(spare, file).catch(() => {})
      return false
    }
    // A session that closed meanwhile has no task to give it to (dropOwner did not see this spare yet).
    if (ownerGone()) void removeQuietly(spare)
    else this.spares.set(digest, [...(this.spares.get(digest) ?? []), { file: spare, owner }])
    // Another session's upload of the same blob may have got there while this one's handle was opened.
    if (source && (this.index.has(digest) || this.storing.has(digest))) {
      void source.close().catch(() => {})
      source = undefined
    }
    if (source) {
      const copying = this.storeFrom(source, digest, size).finally(() => this.storing.delete(digest))
      this.storing.set(digest, copying)
    }
    return true
  }

  // Moves a spare of the blob to `dest`, if there is one: false when there is none, or it cannot be
  // moved there.
  async take(digest: string, dest: string): Promise<boolean> {
    const list = this.spares.get(digest)
    const spare = list?.pop()
    if (list?.length === 0) this.spares.delete(digest)
    if (!spare) return false
    try {
      await fs.rename(spare.file, dest)
      return true
    } catch {
      await removeQuietly(spare.file)
      return false
    }
  }

  /** Removes `owner`'s unused spares (its session is gone). Copies being made from them go on. */
  dropOwner(owner: string): void {
    for (const [digest, list] of this.spares) {
      const kept = list.filter((spare) => spare.owner !== owner)
      for (const spare of list) if (spare.owner === owner) void removeQuietly(spare.file)
      if (kept.length > 0) this.spares.set(digest, kept)
      else this.spares.delete(digest)
    }
  }

  /** Stops the cache's copies in progress and waits for them (the daemon is stopping). */
  async close(): Promise<void> {
    this.closed = true
    await Promise.all(this.storing.values())
  }

  // The cache's copy of a spare: never rejects; a copy that fails (its bytes were changed by the task the
  // spare went to, a full disk, the daemon stopping) leaves the blob uncached. The kernel copies through
  // the handle's /proc name (the spare itself may be in a task folder by now), then the copy is hashed:
  // 2.1 s for 1 GiB here, against 3.6 s read, hashed and written from Node.
  private async storeFrom(source: FileHandle, digest: string, size: number): Promise<void> {
    const temp = path.join(this.root, 'tmp', `${digest}.${randomBytes(6).toString('hex')}.copy`)
    try {
      await fs.copyFile(`/proc/self/fd/${source.fd}`, temp, constants.COPYFILE_EXCL).catch((error: NodeJS.ErrnoException) => {
        // The path is opened anew: a task that took the read permission away (chmod 000) changed it too.
        throw error.code === 'EACCES' || error.code === 'EPERM' ? new SpareChanged() : error
      })
      await source.close()
      await fs.chmod(temp, 0o600) // the copy has the spare's mode, which is the task's to change
      const hash = createHash('sha256')
      for await (const chunk of fileChunks(temp)) {
        if (this.closed) throw new Error('the node is stopping')
        hash.update(chunk)
      }
      if (hash.digest('hex') !== digest) throw new SpareChanged()
      const dest = this.index.file(digest)
      await fs.mkdir(path.dirname(dest), { recursive: true })
      await fs.rename(temp, dest)
      this.index.add(digest, size)
      await this.index.evict()
    } catch (error) {
      if (error instanceof SpareChanged) {
        if (this.changedWhenLent.size >= MAX_REMEMBERED_CHANGES) this.changedWhenLent.clear()
        this.changedWhenLent.add(digest)
      } else if (!this.closed) this.enabled = false
      await source.close().catch(() => {})
      await removeQuietly(temp)
    }
  }
}

// Best effort: what cannot be removed now (its folder is gone or broken) goes when the daemon next
// starts, which empties tmp/ and spare/.
export function removeQuietly(file: string | Buffer): Promise<void> {
  return fs.rm(file, { force: true }).catch(() => {})
}
