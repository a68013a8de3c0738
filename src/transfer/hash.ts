// SHA-256 content addresses. Files are hashed by streaming, never read whole into memory.
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'

export async function hashFile(file: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(file, { highWaterMark: 1024 * 1024 })) hash.update(chunk as Buffer)
  return hash.digest('hex')
}

/**
 * Remembers digests by path, size and mtime, so an executable shared by ten thousand tasks is hashed
 * once per batch. A file that changes in between gets a new stat and so a new digest.
 */
export class HashCache {
  private readonly known = new Map<string, Promise<string>>()

  digest(file: string, size: number, mtimeMs: number): Promise<string> {
    const key = `${file}\0${size}\0${mtimeMs}`
    let digest = this.known.get(key)
    if (!digest) {
      digest = hashFile(file)
      this.known.set(key, digest)
      digest.catch(() => this.known.delete(key))
    }
    return digest
  }
}
