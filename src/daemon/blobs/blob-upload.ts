// One upload of a blob in progress: written under a temp name as its chunks arrive, hashed on the way,
// verified at its end against the digest the client claimed (a claim, not a fact). `done` settles when
// it is stored or has failed, for a task that waits for the blob. blob-store.ts keeps them by owner and digest.
import { createHash, randomBytes, type Hash } from 'node:crypto'
import { createWriteStream, type WriteStream } from 'node:fs'
import fs from 'node:fs/promises'
import path from 'node:path'
import { once } from 'node:events'
import { ProtocolError } from '../../protocol/index.js'
import { WRITE_BEHIND_BYTES } from '../../transfer/chunks.js'
import { removeQuietly } from './blob-lending.js'

export interface Incoming {
  digest: string
  owner: string
  file: string
  stream: WriteStream
  /** Its session closed while it was being verified: no spare is kept for it. */
  ownerGone: boolean
  hash: Hash
  received: number
  /** Past heap-policy.ts's BULK_BYTES: counted as a large upload streaming in until it stops. */
  bulk: boolean
  done: Promise<void>
  settle: (error?: Error) => void
}

/** Starts `owner`'s upload of `digest` in the folder `tmp`; `failed` is called if writing its file fails. */
export function beginUpload(tmp: string, owner: string, digest: string, failed: (error: Error) => void): Incoming {
  const name = `${digest}.${randomBytes(6).toString('hex')}`
  const file = path.join(tmp, name)
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
    bulk: false,
    done,
    settle,
  }
  upload.stream.on('error', failed)
  return upload
}

/** Ends the upload's file and checks its digest: a mismatch removes the file and fails the upload (and this call). */
export async function verifyUpload(upload: Incoming): Promise<void> {
  upload.stream.end()
  await once(upload.stream, 'close')
  const actual = upload.hash.digest('hex')
  if (actual !== upload.digest) {
    await fs.rm(upload.file, { force: true })
    const error = new ProtocolError('DISTW_ERR_BLOB_CORRUPT', `blob claimed ${upload.digest} but hashes to ${actual}`)
    upload.settle(error)
    throw error
  }
}

// Stops a write stream and removes its file. The file may not even be open yet: it is removed once the
// stream has really closed.
export function discard(stream: WriteStream): void {
  if (stream.closed) void removeQuietly(stream.path)
  else stream.once('close', () => void removeQuietly(stream.path))
  stream.destroy()
}
