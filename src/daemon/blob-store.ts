// The node's content-addressed blob cache. A blob is written under a temp name while it streams in,
// its digest is verified (a client's digest is a claim, not a fact), then renamed into place: a broken
// transfer leaves nothing under a final name.
import { createHash, randomBytes, type Hash } from 'node:crypto'
import { constants, createWriteStream, type WriteStream } from 'node:fs'
import fs from 'node:fs/promises'
import path from 'node:path'
import { once } from 'node:events'
import { ProtocolError } from '../protocol/index.js'

interface Incoming {
  file: string
  stream: WriteStream
  hash: Hash
  received: number
  done: Promise<void>
  settle: (error?: Error) => void
}

export class BlobStore {
  private readonly incoming = new Map<string, Incoming>()

  private constructor(readonly root: string) {}

  static async open(root: string): Promise<BlobStore> {
    await fs.mkdir(path.join(root, 'blobs'), { recursive: true })
    await fs.rm(path.join(root, 'tmp'), { recursive: true, force: true })
    await fs.mkdir(path.join(root, 'tmp'), { recursive: true })
    return new BlobStore(root)
  }

  private blobPath(digest: string): string {
    return path.join(this.root, 'blobs', digest.slice(0, 2), digest)
  }

  async has(digest: string): Promise<boolean> {
    if (this.incoming.has(digest)) return true
    try {
      await fs.access(this.blobPath(digest))
      return true
    } catch {
      return false
    }
  }

  /** Accepts one chunk of a blob upload; chunks must arrive in order. */
  async write(digest: string, offset: number, data: Buffer, final: boolean): Promise<void> {
    let upload = this.incoming.get(digest)
    if (!upload) {
      if (offset !== 0) throw new ProtocolError('DISTW_ERR_BLOB_CORRUPT', `blob ${digest} starts at offset ${offset}`)
      upload = this.begin(digest)
    }
    if (offset !== upload.received) {
      this.abort(digest, upload)
      throw new ProtocolError('DISTW_ERR_BLOB_CORRUPT', `blob ${digest}: chunk at ${offset}, expected ${upload.received}`)
    }
    upload.hash.update(data)
    upload.received += data.length
    if (!upload.stream.write(data)) await once(upload.stream, 'drain')
    if (final) await this.finish(digest, upload)
  }

  /** Resolves when an upload in progress has been stored (immediately if none is in progress). */
  async settled(digest: string): Promise<void> {
    await this.incoming.get(digest)?.done
  }

  /** Drops every upload in progress (the connection that carried them is gone). */
  abortAll(digests: Iterable<string>): void {
    for (const digest of digests) {
      const upload = this.incoming.get(digest)
      if (upload) this.abort(digest, upload)
    }
  }

  /** Copies a blob into a task folder; a copy (or reflink), so a task that edits an input cannot corrupt the cache. */
  async materialize(digest: string, dest: string, mode: number): Promise<void> {
    await this.settled(digest)
    try {
      await fs.copyFile(this.blobPath(digest), dest, constants.COPYFILE_FICLONE)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new ProtocolError('DISTW_ERR_BLOB_MISSING', `blob ${digest} was never uploaded`)
      }
      throw error
    }
    await fs.chmod(dest, mode & 0o777)
  }

  private begin(digest: string): Incoming {
    const file = path.join(this.root, 'tmp', `${digest}.${randomBytes(6).toString('hex')}`)
    let settle: (error?: Error) => void = () => {}
    const done = new Promise<void>((resolve, reject) => {
      settle = (error) => (error ? reject(error) : resolve())
    })
    done.catch(() => {}) // observed by whoever awaits settled(); never an unhandled rejection
    const upload: Incoming = {
      file,
      stream: createWriteStream(file, { mode: 0o600 }),
      hash: createHash('sha256'),
      received: 0,
      done,
      settle,
    }
    upload.stream.on('error', (error) => this.abort(digest, upload, error))
    this.incoming.set(digest, upload)
    return upload
  }

  private async finish(digest: string, upload: Incoming): Promise<void> {
    this.incoming.delete(digest)
    upload.stream.end()
    await once(upload.stream, 'close')
    const actual = upload.hash.digest('hex')
    if (actual !== digest) {
      await fs.rm(upload.file, { force: true })
      const error = new ProtocolError('DISTW_ERR_BLOB_CORRUPT', `blob claimed ${digest} but hashes to ${actual}`)
      upload.settle(error)
      throw error
    }
    await fs.mkdir(path.dirname(this.blobPath(digest)), { recursive: true })
    await fs.rename(upload.file, this.blobPath(digest))
    upload.settle()
  }

  private abort(digest: string, upload: Incoming, cause?: Error): void {
    if (this.incoming.get(digest) !== upload) return
    this.incoming.delete(digest)
    upload.stream.destroy()
    void fs.rm(upload.file, { force: true })
    upload.settle(cause ?? new ProtocolError('DISTW_ERR_BLOB_MISSING', `upload of blob ${digest} was interrupted`))
  }
}
