// What the blob cache holds, in least-recently-used order, with the pins that keep blobs a live
// session may still ask for. Recency survives restarts through each blob file's mtime, which is
// touched on use; on start the folder is scanned and ordered by it.
import fs from 'node:fs/promises'
import path from 'node:path'

const DIGEST = /^[0-9a-f]{64}$/

export class BlobIndex {
  /** digest → size; Map order is recency, oldest first. */
  private readonly sizes = new Map<string, number>()
  private readonly pins = new Map<string, number>()
  total = 0

  private constructor(
    private readonly dir: string,
    /** The soft cap (--cache-size). */
    readonly maxBytes: number,
  ) {}

  /** Scans `dir/<2 hex>/<digest>`; anything else there is ignored (and never deleted). */
  static async load(dir: string, maxBytes: number): Promise<BlobIndex> {
    const index = new BlobIndex(dir, maxBytes)
    const found: { digest: string; size: number; mtimeMs: number }[] = []
    for (const prefix of await fs.readdir(dir)) {
      if (!/^[0-9a-f]{2}$/.test(prefix)) continue
      for (const digest of await fs.readdir(path.join(dir, prefix)).catch(() => [])) {
        if (!DIGEST.test(digest) || !digest.startsWith(prefix)) continue
        const stat = await fs.stat(path.join(dir, prefix, digest)).catch(() => undefined)
        if (stat?.isFile()) found.push({ digest, size: stat.size, mtimeMs: stat.mtimeMs })
      }
    }
    found.sort((a, b) => a.mtimeMs - b.mtimeMs)
    for (const blob of found) index.add(blob.digest, blob.size)
    return index
  }

  file(digest: string): string {
    return path.join(this.dir, digest.slice(0, 2), digest)
  }

  has(digest: string): boolean {
    return this.sizes.has(digest)
  }

  add(digest: string, size: number): void {
    this.forget(digest)
    this.sizes.set(digest, size)
    this.total += size
  }

  forget(digest: string): void {
    const size = this.sizes.get(digest)
    if (size === undefined) return
    this.sizes.delete(digest)
    this.total -= size
  }

  /** Marks a blob as just used: last in line for eviction, now and after a restart. */
  touch(digest: string): void {
    const size = this.sizes.get(digest)
    if (size === undefined) return
    this.sizes.delete(digest)
    this.sizes.set(digest, size)
    const now = new Date()
    void fs.utimes(this.file(digest), now, now).catch(() => {})
  }

  pin(digest: string): void {
    this.pins.set(digest, (this.pins.get(digest) ?? 0) + 1)
  }

  unpin(digest: string): void {
    const count = (this.pins.get(digest) ?? 0) - 1
    if (count > 0) this.pins.set(digest, count)
    else this.pins.delete(digest)
  }

  /** Deletes the oldest unpinned blobs until the total is under the cap. */
  async evict(): Promise<void> {
    if (this.total <= this.maxBytes) return
    const victims: string[] = []
    for (const [digest, size] of this.sizes) {
      if (this.total <= this.maxBytes) break
      if (this.pins.has(digest)) continue
      victims.push(digest)
      this.total -= size
    }
    // Forgotten first, synchronously, so no one is told "have" about a blob being deleted.
    for (const digest of victims) this.sizes.delete(digest)
    await Promise.all(victims.map((digest) => fs.rm(this.file(digest), { force: true })))
  }
}
