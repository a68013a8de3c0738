// One upload of a blob in progress: written under a temp name as its chunks arrive, hashed on the way,
// verified at its end against the digest the client claimed (a claim, not a fact). `done` settles when
// it is stored or has failed, for a task that waits for the blob. blob-store.ts keeps them by owner and digest.
import { createHash, randomBytes } from 'node:crypto'
import { createWriteStream, type WriteStream } from 'node:fs'
import fs from 'node:fs/promises'
import path from 'node:path'
import { once } from 'node:events'
import { ProtocolError } from '../../protocol/index.js'
import { WRITE_BEHIND_BYTES } from '../../transfer/chunks.js'
import { removeQuietly } from './blob-lending.js'
import type { UploadSink, UploadThread } from './upload-thread.js'

export interface Incoming {
  digest: string
  owner: string
  file: string
  sink: UploadSink
  /** Its session closed while it was being verified: no spare is kept for it. */
  ownerGone: boolean
  received: number
  /** Past heap-policy.ts's BULK_BYTES: counted as a large upload streaming in until it stops. */
  bulk: boolean
  done: Promise<void>
  settle: (error?: Error) => void
}

/**
 * Starts `owner`'s upload of `digest` in the folder `tmp`; `failed` is called if writing its file fails.
 * A blob of one chunk (`whole`) is hashed and written on this thread; a larger one on `thread`.
 */
export function beginUpload(
  tmp: string,
  owner: string,
  digest: string,
  whole: boolean,
  thread: UploadThread,
  failed: (error: Error) => void,
): Incoming {
  const name = `${digest}.${randomBytes(6).toString('hex')}`
  const file = path.join(tmp, name)
  let settle: (error?: Error) => void = () => {}
  const done = new Promise<void>((resolve, reject) => {
    settle = (error) => (error ? reject(error) : resolve())
  })
  done.catch(() => {}) // observed by whoever awaits it; never an unhandled rejection
  return {
    digest,
    owner,
    file,
    sink: whole ? streamSink(file, failed) : thread.sink(file, failed),
    ownerGone: false,
    received: 0,
    bulk: false,
    done,
    settle,
  }
}

/** Ends the upload's file and checks its digest: a mismatch removes the file and fails the upload (and this call). */
export async function verifyUpload(upload: Incoming): Promise<void> {
  const actual = await upload.sink.end()
  if (actual !== upload.digest) {
    await fs.rm(upload.file, { force: true })
    const error = new ProtocolError('DISTW_ERR_BLOB_CORRUPT', `blob claimed ${upload.digest} but hashes to ${actual}`)
    upload.settle(error)
    throw error
  }
}

// Hashed and written on this thread: a small blob is not worth a trip to the upload thread and back.
function streamSink(file: string, failed: (error: Error) => void): UploadSink {
  const stream = createWriteStream(file, { mode: 0o600, highWaterMark: WRITE_BEHIND_BYTES })
  const hash = createHash('sha256')
  stream.on('error', failed)
  return {
    write: (data) => {
      hash.update(data)
      return stream.write(data) ? undefined : once(stream, 'drain').then(() => {})
    },
    end: async () => {
      stream.end()
      await once(stream, 'close')
      return hash.digest('hex')
    },
    discard: () => discard(stream),
  }
}

// Stops a write stream and removes its file. The file may not even be open yet: it is removed once the
// stream has really closed.
function discard(stream: WriteStream): void {
  if (stream.closed) void removeQuietly(stream.path)
  else stream.once('close', () => void removeQuietly(stream.path))
  stream.destroy()
}
