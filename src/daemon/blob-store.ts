// The node's content-addressed blob cache. A blob is written under a temp name while it streams in,
// its digest is verified (a client's digest is a claim, not a fact), then renamed into place: a broken
// transfer leaves nothing under a final name. Uploads are keyed by (owner, digest), so two sessions
// sending the same blob at once each write their own temp file and cannot corrupt each other.
// The cache is bounded: least recently used blobs are evicted, except those pinned by a live session.
//
// An upload is written once. Verified, it becomes a spare (`spare/`): the first task that uses the blob
// gets that file renamed into its folder, so it starts after one write of the bytes, not two. The
// cache's own copy is then made from the spare in the background (copied by the kernel through a
// handle opened before any task could have it, then hashed: a task that changes its input meanwhile
// makes that copy fail its check, and the blob is simply not cached). Tasks that want the blob while
// its copy is being made wait for it. Where the cache can reflink into the task folders (btrfs,
// XFS, ...), or a spare could not be renamed into them (another file system), or off Linux, the upload
// goes straight into the cache: a task's copy then costs no write (a reflink, an APFS clone), or must
// be a copy anyway.
import { createHash, randomBytes, type Hash } from 'node:crypto'
import { constants, createWriteStream, type WriteStream } from 'node:fs'
import fs, { type FileHandle } from 'node:fs/promises'
import path from 'node:path'
import { once } from 'node:events'
import { ProtocolError } from '../protocol/index.js'
import { fileChunks, WRITE_BEHIND_BYTES } from '../transfer/chunks.js'
import { BlobIndex } from './blob-index.js'

/** The cache's copy of a lent upload did not hash to its digest, or could not be read: its task changed it first. */
class SpareChanged extends Error {}

/** Digests remembered as changed by the tasks they were lent to; past this the memory starts afresh. */
const MAX_REMEMBERED_CHANGES = 10_000

interface Incoming {
  digest: string
  owner: string
  file: string
  stream: WriteStream
  /** Its session closed while it was being verified: no spare is kept for it. */
  ownerGone: boolean
  hash: Hash
  received: number
  done: Promise<void>
  settle: (error?: Error) => void
}

export interface BlobStoreOptions {
  /** Soft cap on the bytes kept: blobs pinned by live sessions are never evicted, even above it. */
  maxBytes?: number
  /** The folder task folders are made in: uploads are lent to tasks only where that saves a write. */
  taskRoot?: string
}

export class BlobStore {
  private readonly incoming = new Map<string, Incoming>()
  /** Uploads past their last chunk, being verified and stored. */
  private readonly finishing = new Set<Incoming>()
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

  private constructor(
    readonly root: string,
    private readonly index: BlobIndex,
    /** Copies into task folders are reflinks (no bytes written): uploads then go straight into the cache. */
    readonly reflinks: boolean,
    /**
     * Uploads are kept as spares for the first task: a rename into its folder is possible and saves a
     * write. Turned off for good when a cache copy fails for any reason but a changed spare (no /proc,
     * a full disk): every later upload would be sent again for nothing.
     */
    private lends: boolean,
  ) {}

  /** Opens (or creates) a cache folder; blobs from earlier runs are kept, half uploads are removed. */
  static async open(root: string, options: BlobStoreOptions = {}): Promise<BlobStore> {
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
    const store = new BlobStore(root, index, reflinks, lends)
    await index.evict()
    return store
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
    return this.index.has(digest) || this.storing.has(digest)
  }

  /** Keeps a blob from eviction until unpin(); counted, so several sessions can pin one blob. */
  pin(digest: string): void {
    this.index.pin(digest)
  }

  unpin(digest: string): void {
    this.index.unpin(digest)
    void this.index.evict()
  }

  /** Accepts one chunk of `owner`'s upload of a blob; chunks must arrive in order. */
  async write(owner: string, digest: string, offset: number, data: Buffer, final: boolean): Promise<void> {
    const key = `${owner}\0${digest}`
    let upload = this.incoming.get(key)
    if (!upload) {
      if (offset !== 0) throw new ProtocolError('DISTW_ERR_BLOB_CORRUPT', `blob ${digest} starts at offset ${offset}`)
      upload = this.begin(key, owner, digest)
    }
    if (offset !== upload.received) {
      this.abort(key, upload)
      throw new ProtocolError('DISTW_ERR_BLOB_CORRUPT', `blob ${digest}: chunk at ${offset}, expected ${upload.received}`)
    }
    upload.hash.update(data)
    upload.received += data.length
    if (!upload.stream.write(data)) await once(upload.stream, 'drain')
    if (final) await this.finish(key, upload)
  }

  /** Drops every upload in progress from `owner` (the connection that carried them is gone), and its unused spares. */
  abortOwner(owner: string): void {
    for (const [key, upload] of this.incoming) if (upload.owner === owner) this.abort(key, upload)
    for (const upload of this.finishing) if (upload.owner === owner) upload.ownerGone = true
    for (const [digest, list] of this.spares) {
      const kept = list.filter((spare) => spare.owner !== owner)
      for (const spare of list) if (spare.owner === owner) void removeQuietly(spare.file)
      if (kept.length > 0) this.spares.set(digest, kept)
      else this.spares.delete(digest)
    }
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
      if (!(await this.useSpare(digest, dest))) {
        await this.storing.get(digest)
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

  // Moves a spare copy of the blob to `dest`, if there is one: false when there is none, or it cannot be
  // moved there (a cache on another file system).
  private async useSpare(digest: string, dest: string): Promise<boolean> {
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

  private begin(key: string, owner: string, digest: string): Incoming {
    const name = `${digest}.${randomBytes(6).toString('hex')}`
    const file = path.join(this.root, 'tmp', name)
    let settle: (error?: Error) => void = () => {}
    const done = new Promise<void>((resolve, reject) => {
      settle = (error) => (error ? reject(error) : resolve())
    })
    done.catch(() => {}) // observed by whoever awaits it; never an unhandled rejection
    const upload: Incoming = {
      digest,
      owner,
      file,
      stream: createWriteStream(file, { mode: 0o600, highWaterMark: WRITE_BEHIND_BYTES }),
      ownerGone: false,
      hash: createHash('sha256'),
      received: 0,
      done,
      settle,
    }
    upload.stream.on('error', (error) => this.abort(key, upload, error))
    this.incoming.set(key, upload)
    return upload
  }

  private async finish(key: string, upload: Incoming): Promise<void> {
    this.incoming.delete(key)
    this.finishing.add(upload)
    try {
      await this.verifyAndStore(upload)
    } finally {
      this.finishing.delete(upload)
    }
  }

  private async verifyAndStore(upload: Incoming): Promise<void> {
    upload.stream.end()
    await once(upload.stream, 'close')
    const actual = upload.hash.digest('hex')
    if (actual !== upload.digest) {
      await fs.rm(upload.file, { force: true })
      const error = new ProtocolError('DISTW_ERR_BLOB_CORRUPT', `blob claimed ${upload.digest} but hashes to ${actual}`)
      upload.settle(error)
      throw error
    }
    const lend = this.lends && !upload.ownerGone && !this.changedWhenLent.has(upload.digest)
    if (!(lend && (await this.keepAsSpare(upload)))) {
      const dest = this.index.file(upload.digest)
      await fs.mkdir(path.dirname(dest), { recursive: true })
      await fs.rename(upload.file, dest)
      this.index.add(upload.digest, upload.received)
      await this.index.evict()
    }
    upload.settle()
  }

  // Moves a verified upload to spare/ for its owner's first task, and starts the cache's copy of it unless
  // the cache has the blob or is getting it. False when the spare cannot be made (spare/ is broken).
  private async keepAsSpare(upload: Incoming): Promise<boolean> {
    const file = path.join(this.root, 'spare', path.basename(upload.file))
    let source: FileHandle | undefined
    try {
      await fs.rename(upload.file, file)
      // Opened before the spare is offered: a task may be given it (renamed) at any point after.
      if (!this.index.has(upload.digest) && !this.storing.has(upload.digest)) source = await fs.open(file, 'r')
    } catch {
      await source?.close()
      await fs.rename(file, upload.file).catch(() => {})
      return false
    }
    // A session that closed meanwhile has no task to give it to (abortOwner did not see this spare yet).
    if (upload.ownerGone) void removeQuietly(file)
    else this.spares.set(upload.digest, [...(this.spares.get(upload.digest) ?? []), { file, owner: upload.owner }])
    const { digest, received } = upload
    // Another session's upload of the same blob may have got there while this one's handle was opened.
    if (source && (this.index.has(digest) || this.storing.has(digest))) {
      void source.close().catch(() => {})
      source = undefined
    }
    if (source) {
      const copying = this.storeFrom(source, digest, received).finally(() => this.storing.delete(digest))
      this.storing.set(digest, copying)
    }
    return true
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
      } else if (!this.closed) this.lends = false
      await source.close().catch(() => {})
      await removeQuietly(temp)
    }
  }

  /** Stops the cache's copies in progress and waits for them (the daemon is stopping). */
  async close(): Promise<void> {
    this.closed = true
    await Promise.all(this.storing.values())
  }

  private abort(key: string, upload: Incoming, cause?: Error): void {
    if (this.incoming.get(key) !== upload) return
    this.incoming.delete(key)
    discard(upload.stream)
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

// Stops a write stream and removes its file. The file may not even be open yet: it is removed once the
// stream has really closed.
function discard(stream: WriteStream): void {
  if (stream.closed) void removeQuietly(stream.path)
  else stream.once('close', () => void removeQuietly(stream.path))
  stream.destroy()
}

// Best effort: what cannot be removed now (its folder is gone or broken) goes when the daemon next
// starts, which empties tmp/ and spare/.
function removeQuietly(file: string | Buffer): Promise<void> {
  return fs.rm(file, { force: true }).catch(() => {})
}
