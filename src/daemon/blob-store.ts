// The node's content-addressed blob cache. A blob is written under a temp name while it streams in,
// its digest is verified (a client's digest is a claim, not a fact), then renamed into place: a broken
// transfer leaves nothing under a final name. Uploads are keyed by (owner, digest), so two sessions
// sending the same blob at once each write their own temp file and cannot corrupt each other.
// The cache is bounded: least recently used blobs are evicted, except those pinned by a live session.
// Each upload is also written, as it streams in, to a spare copy (`spare/`): the first task that uses the
// blob gets that copy renamed into its folder instead of a copy made after the upload, so the second
// write of the bytes overlaps the transfer instead of following it. The spare is only a shortcut: one
// that fails (a full disk) is dropped, and the upload goes on. Where the cache can reflink into the task
// folders (btrfs, XFS, ...), a copy writes nothing, so no spare is written at all.
import { createHash, randomBytes, type Hash } from 'node:crypto'
import { constants, createWriteStream, type WriteStream } from 'node:fs'
import fs from 'node:fs/promises'
import path from 'node:path'
import { once } from 'node:events'
import { ProtocolError } from '../protocol/index.js'
import { WRITE_BEHIND_BYTES } from '../transfer/chunks.js'
import { writableAgain } from '../transfer/writable-again.js'
import { BlobIndex } from './blob-index.js'

interface Incoming {
  digest: string
  owner: string
  file: string
  stream: WriteStream
  /** The spare copy, written alongside; undefined once it failed. */
  spare: WriteStream | undefined
  /** Its session closed while it was being verified: the spare is not kept. */
  ownerGone: boolean
  hash: Hash
  received: number
  done: Promise<void>
  settle: (error?: Error) => void
}

export interface BlobStoreOptions {
  /** Soft cap on the bytes kept: blobs pinned by live sessions are never evicted, even above it. */
  maxBytes?: number
  /** The folder task folders are made in: spares are written only when blobs cannot be reflinked there. */
  taskRoot?: string
}

export class BlobStore {
  private readonly incoming = new Map<string, Incoming>()
  /** Uploads past their last chunk, being verified and stored. */
  private readonly finishing = new Set<Incoming>()
  /** Verified spare copies of uploaded blobs, by digest, each for one task; removed with their uploader's session. */
  private readonly spares = new Map<string, { file: string; owner: string }[]>()

  private constructor(
    readonly root: string,
    private readonly index: BlobIndex,
    /** Copies into task folders are reflinks (no bytes written): uploads then write no spare. */
    readonly reflinks: boolean,
  ) {}

  /** Opens (or creates) a cache folder; blobs from earlier runs are kept, half uploads are removed. */
  static async open(root: string, options: BlobStoreOptions = {}): Promise<BlobStore> {
    await fs.mkdir(path.join(root, 'blobs'), { recursive: true })
    for (const scratch of ['tmp', 'spare']) {
      await fs.rm(path.join(root, scratch), { recursive: true, force: true })
      await fs.mkdir(path.join(root, scratch), { recursive: true })
    }
    const index = await BlobIndex.load(path.join(root, 'blobs'), options.maxBytes ?? Number.POSITIVE_INFINITY)
    const reflinks = options.taskRoot !== undefined && (await canReflink(path.join(root, 'tmp'), options.taskRoot))
    const store = new BlobStore(root, index, reflinks)
    await index.evict()
    return store
  }

  /** Bytes held by stored blobs. */
  get usedBytes(): number {
    return this.index.total
  }

  /** True when the blob is stored and verified (an upload still in progress does not count). */
  has(digest: string): boolean {
    return this.index.has(digest)
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
    // Both waits are set up before either is awaited: one stream may drain while the other is waited for.
    // A spare that fails ends its wait (writableAgain never rejects): it must not fail the upload.
    const cached = upload.stream.write(data) ? undefined : once(upload.stream, 'drain')
    const spared = upload.spare === undefined || upload.spare.write(data) ? undefined : writableAgain(upload.spare)
    if (cached || spared) await Promise.all([cached, spared])
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

  /** Copies a blob into a task folder; a copy (or reflink), so a task that edits an input cannot corrupt the cache. */
  async materialize(digest: string, dest: string, mode: number): Promise<void> {
    // An upload of this blob still being stored (by any session) is waited for.
    const pending = [...this.incoming.values()].filter((u) => u.digest === digest).map((u) => u.done.catch(() => {}))
    await Promise.all(pending)
    try {
      if (!(await this.useSpare(digest, dest))) await fs.copyFile(this.index.file(digest), dest, constants.COPYFILE_FICLONE)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        this.index.forget(digest)
        throw new ProtocolError('DISTW_ERR_BLOB_MISSING', `blob ${digest} was never uploaded`)
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

  // The upload goes on without its spare: the first task then gets a copy of the cache, as later ones do.
  private dropSpare(upload: Incoming): void {
    const spare = upload.spare
    if (!spare) return
    upload.spare = undefined
    discard(spare)
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
      spare: this.reflinks
        ? undefined
        : createWriteStream(path.join(this.root, 'spare', name), { mode: 0o600, highWaterMark: WRITE_BEHIND_BYTES }),
      ownerGone: false,
      hash: createHash('sha256'),
      received: 0,
      done,
      settle,
    }
    upload.stream.on('error', (error) => this.abort(key, upload, error))
    upload.spare?.on('error', () => this.dropSpare(upload))
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
    const spare = upload.spare
    upload.stream.end()
    spare?.end()
    await Promise.all([
      once(upload.stream, 'close'),
      spare && !spare.closed ? new Promise<void>((resolve) => spare.once('close', () => resolve())) : undefined,
    ])
    // A spare that failed while it was being closed was dropped (and is being removed) meanwhile.
    const spareFile = upload.spare === undefined ? undefined : String(upload.spare.path)
    const actual = upload.hash.digest('hex')
    if (actual !== upload.digest) {
      await Promise.all([fs.rm(upload.file, { force: true }), spareFile && removeQuietly(spareFile)])
      const error = new ProtocolError('DISTW_ERR_BLOB_CORRUPT', `blob claimed ${upload.digest} but hashes to ${actual}`)
      upload.settle(error)
      throw error
    }
    const dest = this.index.file(upload.digest)
    await fs.mkdir(path.dirname(dest), { recursive: true })
    await fs.rename(upload.file, dest)
    this.index.add(upload.digest, upload.received)
    if (spareFile !== undefined && upload.ownerGone) await removeQuietly(spareFile)
    else if (spareFile !== undefined)
      this.spares.set(upload.digest, [...(this.spares.get(upload.digest) ?? []), { file: spareFile, owner: upload.owner }])
    upload.settle()
    await this.index.evict()
  }

  private abort(key: string, upload: Incoming, cause?: Error): void {
    if (this.incoming.get(key) !== upload) return
    this.incoming.delete(key)
    discard(upload.stream)
    this.dropSpare(upload)
    upload.settle(cause ?? new ProtocolError('DISTW_ERR_BLOB_MISSING', `upload of blob ${upload.digest} was interrupted`))
  }
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
