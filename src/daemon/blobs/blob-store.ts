// The node's content-addressed blob cache. A blob is written under a temp name while it streams in,
// its digest is verified (a client's digest is a claim, not a fact; blob-upload.ts), then renamed into
// place: a broken transfer leaves nothing under a final name. Uploads are keyed by (owner, digest), so two sessions
// sending the same blob at once each write their own temp file and cannot corrupt each other.
// The cache is bounded: least recently used blobs are evicted, except those pinned by a live session.
//
// An upload is written once. Verified, it becomes a spare (`spare/`): the first task that uses the blob
// gets that file renamed into its folder, so it starts after one write of the bytes, not two. The
// cache's own copy is then made from the spare in the background (copied by the kernel through a
// handle opened before any task could have it, then hashed: a task that changes its input meanwhile
// makes that copy fail its check, and the blob is simply not cached; blob-lending.ts). Tasks that want
// the blob while its copy is being made wait for it. Where the cache can reflink into the task folders (btrfs,
// XFS, ...), or a spare could not be renamed into them (another file system), or off Linux, the upload
// goes straight into the cache: a task's copy then costs no write (a reflink, an APFS clone), or must
// be a copy anyway.
import { randomBytes } from 'node:crypto'
import { constants, type BigIntStats } from 'node:fs'
import fs from 'node:fs/promises'
import path from 'node:path'
import { ProtocolError } from '../../protocol/index.js'
import { BlobIndex } from './blob-index.js'
import { Lending, removeQuietly } from './blob-lending.js'
import { beginUpload, verifyUpload, type Incoming } from './blob-upload.js'
import { UploadThread } from './upload-thread.js'
import { lockFolder } from '../folder-lock.js'
import { BULK_BYTES, bulkEnded, bulkStarted } from '../heap-policy.js'
import { defaultUploadLimits, UploadBudget, type UploadLimits } from './upload-limits.js'

export interface BlobStoreOptions {
  /** Soft cap on the bytes kept: blobs pinned by live sessions are never evicted, even above it. */
  maxBytes?: number
  /** The folder task folders are made in: uploads are lent to tasks only where that saves a write. */
  taskRoot?: string
  /** The caller holds the folder's lock already (a daemon whose cache is its work folder). */
  locked?: boolean
  /** Bounds on unfinished uploads (default: from the open-file limit and `maxBytes`). */
  uploads?: UploadLimits
}

export class BlobStore {
  private readonly incoming = new Map<string, Incoming>()
  /** Uploads past their last chunk, being verified and stored. */
  private readonly finishing = new Set<Incoming>()
  /** Hashes and writes uploads of more than one chunk (upload-thread.ts). */
  private readonly thread = new UploadThread()

  private constructor(
    readonly root: string,
    private readonly index: BlobIndex,
    /** Copies into task folders are reflinks (no bytes written): uploads then go straight into the cache. */
    readonly reflinks: boolean,
    private readonly lending: Lending,
    private readonly unlock: () => Promise<void>,
    private readonly budget: UploadBudget,
  ) {}

  /** Opens (or creates) a cache folder; blobs from earlier runs are kept, half uploads are removed. */
  static async open(root: string, options: BlobStoreOptions = {}): Promise<BlobStore> {
    // Before anything is emptied: tmp/ and spare/ may be another daemon's uploads in progress.
    const unlock = options.locked ? async () => {} : await lockFolder(root, 'cache folder', '--cache-dir')
    try {
      await fs.mkdir(path.join(root, 'blobs'), { recursive: true })
      for (const scratch of ['tmp', 'spare']) {
        await fs.rm(path.join(root, scratch), { recursive: true, force: true })
        await fs.mkdir(path.join(root, scratch), { recursive: true })
      }
      const index = await BlobIndex.load(path.join(root, 'blobs'), options.maxBytes ?? Number.POSITIVE_INFINITY)
      const taskRoot = options.taskRoot
      const reflinks = taskRoot !== undefined && (await canReflink(path.join(root, 'tmp'), taskRoot))
      // Linux only: the cache's copy of a lent file is made through /proc/self/fd.
      const lends =
        process.platform === 'linux' && taskRoot !== undefined && !reflinks && (await oneFileSystem(path.join(root, 'spare'), taskRoot))
      const budget = new UploadBudget(options.uploads ?? defaultUploadLimits(options.maxBytes ?? Number.POSITIVE_INFINITY))
      const store = new BlobStore(root, index, reflinks, new Lending(root, index, lends), unlock, budget)
      await index.evict()
      return store
    } catch (error) {
      await unlock()
      throw error
    }
  }

  /** Bytes held by stored blobs. */
  get usedBytes(): number {
    return this.index.total
  }

  /**
   * True when the blob is stored and verified, or its cache copy is being made from a verified upload
   * (a task then waits for it; should that copy fail, the task's exit names the blob as missing). An
   * upload still in progress does not count.
   */
  has(digest: string): boolean {
    return this.index.has(digest) || this.lending.copying(digest)
  }

  /** Keeps a blob from eviction until unpin(); counted, so several sessions can pin one blob. */
  pin(digest: string): void {
    this.index.pin(digest)
  }

  unpin(digest: string): void {
    this.index.unpin(digest)
    void this.index.evict()
  }

  /**
   * Accepts one chunk of `owner`'s upload of a blob; chunks must arrive in order. `spent`: `data` is a
   * frame's chunk that nothing uses after this call (upload-thread.ts may then move its memory).
   */
  async write(owner: string, digest: string, offset: number, data: Buffer, final: boolean, spent = false): Promise<void> {
    const key = `${owner}\0${digest}`
    let upload = this.incoming.get(key)
    // Offset 0 again: the client starts this upload over (its file changed while it was being sent).
    if (upload && offset === 0 && upload.received > 0) {
      this.abort(key, upload)
      upload = undefined
    }
    if (!upload) {
      if (offset !== 0) throw new ProtocolError('DISTW_ERR_BLOB_CORRUPT', `blob ${digest} starts at offset ${offset}`)
      this.budget.admit(owner)
      const tmp = path.join(this.root, 'tmp')
      const started: Incoming = beginUpload(tmp, owner, digest, final, this.thread, (error) => this.abort(key, started, error))
      this.incoming.set(key, started)
      upload = started
    }
    if (offset !== upload.received) {
      this.abort(key, upload)
      throw new ProtocolError('DISTW_ERR_BLOB_CORRUPT', `blob ${digest}: chunk at ${offset}, expected ${upload.received}`)
    }
    this.budget.grow(owner, data.length)
    upload.received += data.length
    if (!upload.bulk && upload.received >= BULK_BYTES) {
      upload.bulk = true
      bulkStarted()
    }
    const behind = upload.sink.write(data, spent)
    if (behind) await behind
    if (final) await this.finish(key, upload)
  }

  /**
   * Keeps a task's returned file as the blob `digest` (its bytes as just sent), moving it out of the
   * finished task's folder: no bytes are written. Only a file with one link that has not changed since
   * the walk saw it, on the cache's file system, and at most a quarter of the cap. True if it is held now.
   */
  async keepOutput(digest: string, file: string, seen: BigIntStats): Promise<boolean> {
    if (this.has(digest)) {
      this.index.touch(digest)
      return true
    }
    if (seen.nlink !== 1n || Number(seen.size) > this.index.maxBytes / 4) return false
    const now = await fs.lstat(file, { bigint: true }).catch(() => undefined)
    if (!now?.isFile() || now.ino !== seen.ino || now.size !== seen.size || now.mtimeNs !== seen.mtimeNs || now.nlink !== 1n) return false
    const dest = this.index.file(digest)
    try {
      await fs.mkdir(path.dirname(dest), { recursive: true })
      await fs.rename(file, dest) // EXDEV: a cache on another file system keeps no outputs
      await fs.chmod(dest, 0o600)
    } catch {
      return false
    }
    this.index.add(digest, Number(seen.size))
    await this.index.evict()
    return this.index.has(digest)
  }

  /** Drops every upload in progress from `owner` (the connection that carried them is gone), and its unused spares. */
  abortOwner(owner: string): void {
    for (const [key, upload] of this.incoming) if (upload.owner === owner) this.abort(key, upload)
    for (const upload of this.finishing) if (upload.owner === owner) upload.ownerGone = true
    this.lending.dropOwner(owner)
  }

  /**
   * Puts a blob into a task folder: a spare of it, else a copy (or reflink) of the cache's file, so a
   * task that edits an input cannot corrupt the cache.
   */
  async materialize(digest: string, dest: string, mode: number): Promise<void> {
    // An upload of this blob still being verified (by any session) is waited for.
    const pending = [...this.incoming.values()].filter((u) => u.digest === digest).map((u) => u.done.catch(() => {}))
    await Promise.all(pending)
    try {
      if (!(await this.lending.take(digest, dest))) {
        await this.lending.stored(digest)
        await fs.copyFile(this.index.file(digest), dest, constants.COPYFILE_FICLONE)
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        this.index.forget(digest)
        throw new ProtocolError(
          'DISTW_ERR_BLOB_MISSING',
          `blob ${digest} is not on this node (never uploaded, or its only copy was changed by the task it was lent to)`,
        )
      }
      throw error
    }
    await fs.chmod(dest, mode & 0o777)
    this.index.touch(digest)
  }

  private async finish(key: string, upload: Incoming): Promise<void> {
    this.incoming.delete(key)
    if (upload.bulk) bulkEnded()
    this.budget.release(upload.owner, upload.received)
    this.finishing.add(upload)
    try {
      await this.verifyAndStore(upload)
    } finally {
      this.finishing.delete(upload)
    }
  }

  private async verifyAndStore(upload: Incoming): Promise<void> {
    await verifyUpload(upload)
    const { file, digest, received, owner } = upload
    const lent =
      !upload.ownerGone && this.lending.wanted(digest) && (await this.lending.lend(file, digest, received, owner, () => upload.ownerGone))
    if (!lent) {
      const dest = this.index.file(digest)
      await fs.mkdir(path.dirname(dest), { recursive: true })
      await fs.rename(file, dest)
      this.index.add(digest, received)
      await this.index.evict()
    }
    upload.settle()
  }

  /** Stops the cache's copies in progress, waits for them, and gives the folder up (the daemon is stopping). */
  async close(): Promise<void> {
    await this.lending.close()
    await this.thread.close()
    await this.unlock()
  }

  private abort(key: string, upload: Incoming, cause?: Error): void {
    if (this.incoming.get(key) !== upload) return
    this.incoming.delete(key)
    if (upload.bulk) bulkEnded()
    this.budget.release(upload.owner, upload.received)
    upload.sink.discard()
    upload.settle(cause ?? new ProtocolError('DISTW_ERR_BLOB_MISSING', `upload of blob ${upload.digest} was interrupted`))
  }
}

// Whether a rename from `from` to `to` can work: both on one file system (a bind mount would fail with
// EXDEV even so; useSpare then falls back to a copy).
async function oneFileSystem(from: string, to: string): Promise<boolean> {
  const [a, b] = await Promise.all([fs.stat(from), fs.stat(to)])
  return a.dev === b.dev
}

// Whether a file in `from` can be reflinked into `to`: both on one file system that shares extents.
// Anything else (ext4's "not supported", two file systems' EXDEV) means no.
async function canReflink(from: string, to: string): Promise<boolean> {
  const name = `.distw-reflink-probe-${randomBytes(6).toString('hex')}`
  const source = path.join(from, name)
  const target = path.join(to, name)
  try {
    await fs.writeFile(source, Buffer.alloc(4096, 1), { mode: 0o600 })
    await fs.copyFile(source, target, constants.COPYFILE_FICLONE_FORCE)
    return true
  } catch {
    return false
  } finally {
    await Promise.all([removeQuietly(source), removeQuietly(target)])
  }
}
