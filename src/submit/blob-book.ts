// Which node holds which blobs, as far as this submitter knows: learnt from the have/need exchange of
// each upload, from the outputs a node said it kept (`file.cached`), from the tasks sent there whose
// inputs are still on their way (by file stamp, before their digest is known), and, across batches,
// from a small file beside the digest cache. It is a hint for placement only: a node may have evicted
// a blob since, and then `have` asks for it and it is sent, as without the hint. It also keeps, as
// hints, the digests nodes gave for the files they returned (`hinted`), with the node that gave each.
import fs from 'node:fs/promises'
import path from 'node:path'
import { z } from 'zod'
import { defaultDigestStorePath, safeJson } from '../transfer/digest-store.js'

/** Blobs remembered per node (least recently learnt or used dropped first), and nodes remembered. */
export const MAX_BLOBS_PER_NODE = 10_000
export const MAX_NODES = 32
/** At most this many digests are written to the file (~5 MiB), the most recently heard-of nodes first. */
const MAX_SAVED = 50_000
/** Returned files whose node-given digest is remembered (most recent kept). */
export const MAX_HINTS = 10_000

const DIGEST = /^[0-9a-f]{64}$/
const BookFile = z.strictObject({
  v: z.literal(1),
  nodes: z.array(z.tuple([z.string().max(200), z.array(z.string().regex(DIGEST)).max(MAX_BLOBS_PER_NODE)])).max(MAX_NODES),
  // A returned file's stamp key (path and stamp), the digest its node said it kept it under, that node.
  hints: z
    .array(z.tuple([z.string().max(8192), z.string().regex(DIGEST), z.string().max(200)]))
    .max(MAX_HINTS)
    .optional(),
  // The link rate measured from the last batch's uploads, in bytes a millisecond (Locality.bytesPerMs).
  bytesPerMs: z.number().positive().max(1e9).optional(),
})

/** `$XDG_CACHE_HOME/distw/node-blobs.json`, else `~/.cache/distw/node-blobs.json`: beside the digest cache. */
export function defaultBlobBookPath(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(path.dirname(defaultDigestStorePath(env)), 'node-blobs.json')
}

export class BlobBook {
  /** node id → the keys (digests, or file stamps of uploads in flight) it holds, oldest first; nodes oldest first. */
  private readonly nodes = new Map<string, Set<string>>()
  /** A returned file's stamp key → the digest its node gave (a hint) and that node's id, oldest first. */
  private readonly hints = new Map<string, { digest: string; node: string }>()
  /** The link rate last measured (bytes a millisecond), kept for the next batch's first waits. */
  private rate: number | undefined
  private changed = false

  constructor(private readonly file?: string) {}

  /** Reads the book; a missing, unreadable or malformed file is an empty book (it is only a hint). */
  static async open(file: string): Promise<BlobBook> {
    const book = new BlobBook(file)
    const text = await fs.readFile(file, 'utf8').catch(() => undefined)
    const parsed = text === undefined ? undefined : BookFile.safeParse(safeJson(text))
    if (parsed?.success) {
      for (const [id, digests] of parsed.data.nodes) book.nodes.set(id, new Set(digests))
      for (const [key, digest, node] of parsed.data.hints ?? []) book.hints.set(key, { digest, node })
      book.rate = parsed.data.bytesPerMs
    }
    return book
  }

  /** Node `id` holds `key` (a digest or a file's stamp key) now. */
  add(id: string, key: string): void {
    let keys = this.nodes.get(id)
    if (keys) this.nodes.delete(id)
    else keys = new Set()
    this.nodes.set(id, keys)
    keys.delete(key)
    keys.add(key)
    for (const oldest of keys) {
      if (keys.size <= MAX_BLOBS_PER_NODE) break
      keys.delete(oldest)
    }
    for (const oldest of this.nodes.keys()) {
      if (this.nodes.size <= MAX_NODES) break
      this.nodes.delete(oldest)
    }
    this.changed = true
  }

  /** The link rate last measured, in this batch or an earlier one (undefined: never). */
  get bytesPerMs(): number | undefined {
    return this.rate
  }

  set bytesPerMs(rate: number | undefined) {
    this.rate = rate
    this.changed = true
  }

  /** Node `node` said the file at stamp key `key` is blob `digest`, kept there. */
  hint(key: string, digest: string, node: string): void {
    this.hints.delete(key)
    this.hints.set(key, { digest, node })
    for (const oldest of this.hints.keys()) {
      if (this.hints.size <= MAX_HINTS) break
      this.hints.delete(oldest)
    }
    this.changed = true
  }

  /** The digest a node gave for the file at stamp key `key`, and which node, if any: a hint, not the file's digest. */
  hinted(key: string): { digest: string; node: string } | undefined {
    return this.hints.get(key)
  }

  holds(id: string, key: string): boolean {
    return this.nodes.get(id)?.has(key) === true
  }

  /** The keys node `id` holds (not to be changed by the caller). */
  keysOf(id: string): ReadonlySet<string> {
    return this.nodes.get(id) ?? new Set()
  }

  /** Whether anything at all is known of node `id` (placement skips the weighing when not). */
  knows(id: string): boolean {
    return (this.nodes.get(id)?.size ?? 0) > 0
  }

  /** Writes the digests (not the stamps of this batch's files) if anything was learnt: whole, to a temp name renamed into place. */
  async save(): Promise<void> {
    if (!this.changed || this.file === undefined) return
    const nodes: [string, string[]][] = []
    let room = MAX_SAVED
    for (const [id, keys] of [...this.nodes].reverse()) {
      const digests = [...keys].filter((k) => DIGEST.test(k)).slice(-room)
      if (digests.length === 0) continue
      nodes.unshift([id, digests])
      room -= digests.length
      if (room <= 0) break
    }
    await fs.mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 })
    const temp = `${this.file}.${process.pid}.tmp`
    await fs.writeFile(
      temp,
      JSON.stringify({
        v: 1,
        nodes,
        hints: [...this.hints].map(([key, h]) => [key, h.digest, h.node]),
        ...(this.rate === undefined ? {} : { bytesPerMs: this.rate }),
      }),
      { mode: 0o600 },
    )
    await fs.rename(temp, this.file)
    this.changed = false
  }
}
