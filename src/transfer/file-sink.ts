// Writes files arriving in chunks: each to a temp name beside its destination, renamed into place on
// its last chunk, so a broken transfer never leaves a half file under the real name. Nothing is hashed
// here: a file the node kept in its cache comes with the node's digest (`file.cached`), a placement hint
// recorded with the file's stamp (locality.ts); whoever takes it as an input hashes it then.
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { createWriteStream, type WriteStream } from 'node:fs'
import fs from 'node:fs/promises'
import path from 'node:path'
import { ProtocolError } from '../protocol/index.js'
import type { FileToHash } from './hash.js'
import { WRITE_BEHIND_BYTES } from './chunks.js'
import { clearForNewFile, mkdirsNoFollow } from './no-follow.js'
import { resolveInside } from './paths.js'

interface Open {
  dest: string
  temp: string
  stream: WriteStream
  written: number
}

export class FileSink {
  private readonly open = new Map<string, Open>()
  readonly written: string[] = []
  bytes = 0
  private rootReady: Promise<unknown> | undefined

  constructor(private readonly root: string) {}

  /** Writes one chunk; with `stamp`, the last one resolves to the file's stamp as written (undefined if it changed meanwhile). */
  async write(
    wirePath: string,
    offset: number,
    data: Buffer,
    final: boolean,
    mode: number,
    stamp = false,
  ): Promise<FileToHash | undefined> {
    let file = this.open.get(wirePath)
    if (!file) {
      if (offset !== 0) throw new ProtocolError('DISTW_ERR_UNEXPECTED', `file ${wirePath} starts at offset ${offset}`)
      const dest = resolveInside(this.root, wirePath)
      // The destination itself may sit anywhere (the user chose it); below it, no symlink is followed.
      this.rootReady ??= fs.mkdir(this.root, { recursive: true })
      await this.rootReady
      await mkdirsNoFollow(this.root, path.dirname(dest))
      const temp = `${dest}.distw-${randomBytes(4).toString('hex')}`
      const stream = createWriteStream(temp, { mode: 0o600, flags: 'wx', highWaterMark: WRITE_BEHIND_BYTES })
      file = { dest, temp, stream, written: 0 }
      this.open.set(wirePath, file)
    }
    if (offset !== file.written)
      throw new ProtocolError('DISTW_ERR_UNEXPECTED', `file ${wirePath}: chunk at ${offset}, expected ${file.written}`)
    if (data.length > 0 && !file.stream.write(data)) await once(file.stream, 'drain')
    file.written += data.length
    this.bytes += data.length
    if (!final) return undefined
    this.open.delete(wirePath)
    file.stream.end()
    await once(file.stream, 'close')
    await fs.chmod(file.temp, mode & 0o777)
    await clearForNewFile(file.dest) // a link or folder in the way is refused, not written through
    await fs.rename(file.temp, file.dest)
    this.written.push(wirePath)
    if (!stamp) return undefined
    const { size, mtimeMs, ctimeMs, ino } = await fs.stat(file.dest)
    return size === file.written ? { absPath: file.dest, size, mtimeMs, ctimeMs, ino } : undefined
  }

  /** Removes the temp files of transfers that never finished. */
  async abort(): Promise<void> {
    for (const file of this.open.values()) {
      // A write still in flight then fails with ERR_STREAM_DESTROYED, emitted as 'error' with nobody
      // left to hear it (the chunk's caller had its write taken without waiting): that ended the
      // submitter, in a bench whose node dropped the connection mid-return under load 15.
      file.stream.on('error', () => {})
      file.stream.destroy()
      await fs.rm(file.temp, { force: true })
    }
    this.open.clear()
  }
}
