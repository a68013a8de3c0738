// Digests of input files remembered across runs, so that a big input is not hashed again on every
// submit (a 5 GiB data set is ~7 s of SHA-256 here). An entry holds only while the file's size, mtime,
// ctime and inode are the ones it was hashed with: what git and Bazel trust to mean "unchanged". A file
// whose mtime or ctime is within `racyMs` of its hashing is not remembered, since a second write in
// the same timestamp tick would go unseen (git's "racy" case). A digest taken from here is still only
// a claim: the node hashes every byte it receives, and the worst a stale entry can do is a rejected
// upload or a task given the content of an earlier version of a file it was never meant to change.
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { z } from 'zod'

/** What must not have changed since a file was hashed. */
export interface FileStamp {
  size: number
  mtimeMs: number
  ctimeMs: number
  ino: number
}

/** Entries kept; the least recently used go first. 50,000 entries is ~8 MiB of JSON. */
const MAX_ENTRIES = 50_000

const DIGEST = /^[0-9a-f]{64}$/
const Entry = z.tuple([z.string(), z.number(), z.number(), z.number(), z.number(), z.string().regex(DIGEST)])
const StoreFile = z.strictObject({ v: z.literal(1), entries: z.array(Entry) })

/** `$XDG_CACHE_HOME/distw/digests.json`, else `~/.cache/distw/digests.json`. */
export function defaultDigestStorePath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env['XDG_CACHE_HOME'] || path.join(os.homedir(), '.cache')
  return path.join(base, 'distw', 'digests.json')
}

export class DigestStore {
  private changed = false

  private constructor(
    readonly file: string,
    private readonly entries: Map<string, { stamp: FileStamp; digest: string }>,
    private readonly racyMs: number,
  ) {}

  /** Reads the store; a missing, unreadable or malformed file is an empty store (it is only a cache). */
  static async open(file: string, options: { racyMs?: number } = {}): Promise<DigestStore> {
    const entries = new Map<string, { stamp: FileStamp; digest: string }>()
    const text = await fs.readFile(file, 'utf8').catch(() => undefined)
    const parsed = text === undefined ? undefined : StoreFile.safeParse(safeJson(text))
    if (parsed?.success) {
      for (const [p, size, mtimeMs, ctimeMs, ino, digest] of parsed.data.entries)
        entries.set(p, { stamp: { size, mtimeMs, ctimeMs, ino }, digest })
    }
    return new DigestStore(file, entries, options.racyMs ?? 2000)
  }

  get(file: string, stamp: FileStamp): string | undefined {
    const entry = this.entries.get(file)
    if (!entry || !sameStamp(entry.stamp, stamp)) return undefined
    // Most recently used last, so the oldest are dropped first.
    this.entries.delete(file)
    this.entries.set(file, entry)
    return entry.digest
  }

  /** Remembers a digest taken of `file` as it was at `stamp`, starting at `hashedAt` (ms since the epoch). */
  set(file: string, stamp: FileStamp, digest: string, hashedAt: number): void {
    if (hashedAt - Math.max(stamp.mtimeMs, stamp.ctimeMs) < this.racyMs) return
    this.entries.delete(file)
    this.entries.set(file, { stamp, digest })
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= MAX_ENTRIES) break
      this.entries.delete(oldest)
    }
    this.changed = true
  }

  /** Writes the store if anything was added: whole, to a temp name renamed into place (a concurrent submit's save wins, or this one). */
  async save(): Promise<void> {
    if (!this.changed) return
    const entries = [...this.entries].map(([p, { stamp, digest }]) => [p, stamp.size, stamp.mtimeMs, stamp.ctimeMs, stamp.ino, digest])
    await fs.mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 })
    const temp = `${this.file}.${process.pid}.tmp`
    await fs.writeFile(temp, JSON.stringify({ v: 1, entries }), { mode: 0o600 })
    await fs.rename(temp, this.file)
    this.changed = false
  }
}

/** Whether two stamps say the same file content (as far as a stat can tell). */
export function sameStamp(a: FileStamp, b: FileStamp): boolean {
  return a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs && a.ino === b.ino
}

/** JSON.parse that answers undefined for text that is not JSON (a cache file is only a cache). */
export function safeJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}
