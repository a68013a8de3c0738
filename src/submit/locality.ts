// Placement by locality: how many of a task's input bytes each node holds, as far as the BlobBook
// knows, and how long a task may wait for the node holding most of them rather than ship them to a
// free one (delay scheduling, as Spark's locality wait): never longer than sending the difference
// would take at the link rate measured from uploads (this batch's, else the last batch's), and never
// over LOCALITY_WAIT_MAX_MS.
import type { ResolvedInput } from '../tasks/index.js'
import { stampKey, type FileToHash, type HashCache } from '../transfer/hash.js'
import type { BlobBook } from './blob-book.js'
import type { Digested } from './input-digests.js'
import type { TaskRecord } from './task-record.js'

/** The longest a task waits for the node holding its inputs, however big they are (Spark's default is 3 s). */
export const LOCALITY_WAIT_MAX_MS = 3_000
/** Below this, sending the bytes costs less than a wait would: the task goes to the free node. */
export const LOCALITY_WAIT_MIN_MS = 5
/** The link rate assumed until an upload has been measured: about a gigabit. */
export const DEFAULT_BYTES_PER_MS = (100 * 1024 * 1024) / 1000
/** Uploads smaller than this say more about latency than about the link: not measured. */
const MEASURED_MIN_BYTES = 1024 * 1024

/** One input of a task as placement weighs it: its stamp key, its digest once known, its size. */
interface Weighed {
  key: string
  digest: string | undefined
  size: number
}

export class Locality {
  /** Waiting tasks, by the keys of their inputs: a free node holding one of those finds them at once. */
  private readonly wanting = new Map<string, Set<TaskRecord>>()
  private readonly wanted = new Map<TaskRecord, string[]>()
  /** Each wanted task's inputs as one string: tasks with the same inputs are placed alike. */
  private readonly groups = new Map<TaskRecord, string>()
  /** How many waiting tasks have each group of inputs. */
  private readonly groupSizes = new Map<string, number>()
  /**
   * The link rate: given (and then kept), or the one measured last time (the book's), or assumed until
   * measured; then a running average of the uploads of at least MEASURED_MIN_BYTES. Remembered in the
   * book: a resubmission uploads little, and its first waits would otherwise assume 100 MiB/s.
   */
  bytesPerMs: number
  private measured = false
  private readonly given: boolean
  /** false (--no-locality): what nodes hold is still learnt, but placement ignores it and never waits. */
  readonly placement: boolean

  constructor(
    readonly book: BlobBook,
    private readonly hashes: HashCache,
    options: { bytesPerMs?: number; placement?: boolean } = {},
  ) {
    this.bytesPerMs = options.bytesPerMs ?? book.bytesPerMs ?? DEFAULT_BYTES_PER_MS
    this.given = options.bytesPerMs !== undefined
    this.measured = !this.given && book.bytesPerMs !== undefined
    this.placement = options.placement ?? true
  }

  /** A function giving the bytes of `inputs` that a node (by id) holds. */
  weigh(inputs: readonly ResolvedInput[]): (id: string) => number {
    if (inputs.length === 0) return () => 0
    const weighed: Weighed[] = inputs.map((i) => ({ key: stampKey(i), digest: this.digestOf(i), size: i.size }))
    return (id) => {
      if (!this.book.knows(id)) return 0
      let bytes = 0
      for (const w of weighed) if (this.book.holds(id, w.key) || (w.digest !== undefined && this.book.holds(id, w.digest))) bytes += w.size
      return bytes
    }
  }

  /** `record` waits in the queue with these inputs: a free node that holds any of them will find it (wantedOn). */
  want(record: TaskRecord, inputs: readonly ResolvedInput[]): void {
    if (inputs.length === 0 || this.wanted.has(record)) return
    const keys = inputs.flatMap((i) => [stampKey(i), this.digestOf(i) ?? ''].filter((k) => k !== ''))
    this.wanted.set(record, keys)
    const group = inputs.map((i) => stampKey(i)).join('\n')
    this.groups.set(record, group)
    this.groupSizes.set(group, (this.groupSizes.get(group) ?? 0) + 1)
    for (const key of keys) {
      const records = this.wanting.get(key) ?? new Set()
      records.add(record)
      this.wanting.set(key, records)
    }
  }

  /** `record` left the queue (launched, or finished): no node looks for it any more. */
  unwant(record: TaskRecord): void {
    // `want` sets its keys and its group together: a task that never waited with inputs has neither.
    const keys = this.wanted.get(record)
    if (keys === undefined) return
    for (const key of keys) {
      const records = this.wanting.get(key)
      records?.delete(record)
      if (records?.size === 0) this.wanting.delete(key)
    }
    this.wanted.delete(record)
    const group = this.groups.get(record)
    if (group === undefined) return
    this.groups.delete(record)
    const size = (this.groupSizes.get(group) ?? 1) - 1
    if (size > 0) this.groupSizes.set(group, size)
    else this.groupSizes.delete(group)
  }

  /** The task's inputs as one string, if it waits with inputs (see want). */
  group(record: TaskRecord): string | undefined {
    return this.groups.get(record)
  }

  /** How many waiting tasks have the same inputs as `record` (itself included; 0 if it waits with none). */
  groupSize(record: TaskRecord): number {
    const group = this.groups.get(record)
    return group === undefined ? 0 : (this.groupSizes.get(group) ?? 0)
  }

  /** The held tasks some of whose inputs node `id` holds. */
  wantedOn(id: string): TaskRecord[] {
    if (this.wanting.size === 0 || !this.book.knows(id)) return []
    const found = new Set<TaskRecord>()
    // Whichever side is smaller is walked: the node's keys, or the waiting tasks' keys.
    const keys = this.book.keysOf(id)
    if (keys.size < this.wanting.size) {
      for (const key of keys) for (const r of this.wanting.get(key) ?? []) found.add(r)
    } else for (const [key, records] of this.wanting) if (keys.has(key)) for (const r of records) found.add(r)
    // In queue order: higher priority first, then file order.
    return [...found].sort((a, b) => b.spec.priority - a.spec.priority || a.spec.line - b.spec.line)
  }

  /** How long waiting for a node that holds `bytes` more of a task's inputs is worth: the time to send them, bounded. */
  waitMs(bytes: number): number {
    return Math.min(LOCALITY_WAIT_MAX_MS, bytes / this.bytesPerMs)
  }

  /** A task goes to node `id`: its inputs are on their way there (known by stamp until their digests are). */
  launched(id: string, inputs: readonly ResolvedInput[]): void {
    for (const input of inputs) this.book.add(id, stampKey(input))
  }

  /** Node `id` holds `blobs` now (it had them, or they were sent): `bytes` sent in `ms` measure the link. */
  sent(id: string, blobs: readonly Digested[], bytes: number, ms: number): void {
    for (const blob of blobs) this.book.add(id, blob.digest)
    if (this.given || bytes < MEASURED_MIN_BYTES || ms <= 0) return
    this.bytesPerMs = this.measured ? 0.7 * this.bytesPerMs + 0.3 * (bytes / ms) : bytes / ms
    this.measured = true
    this.book.bytesPerMs = this.bytesPerMs
  }

  /**
   * Node `id` returned `file` (as written here) and kept it in its cache under `digest`, as it says. A
   * hint for placement only: the digest is not taken as the file's (a task that takes the file as an
   * input hashes it, and `have` asks by that), so a node that lies can mislead placement, never data.
   */
  returned(id: string, file: FileToHash, digest: string): void {
    const key = stampKey(file)
    this.book.hint(key, digest, id)
    this.book.add(id, key)
    this.book.add(id, digest)
  }

  // An input's digest as far as known without reading it: taken here (this batch, or the digest cache),
  // else as the node that returned it said (a hint).
  private digestOf(input: ResolvedInput): string | undefined {
    return this.hashes.peek(input) ?? this.book.hinted(stampKey(input))?.digest
  }

  /**
   * The digest node `id` itself gave for `file` (a file it returned, unchanged since) while it still
   * holds it: a task run on that node may name the file by it, unhashed here. Only there: had the node
   * lied, only a task it runs itself gets the bytes it chose, which it could make up anyway; a task on
   * any other node gets the file's own digest (hashed here), whatever a node said.
   */
  keptOn(id: string, file: FileToHash): string | undefined {
    const hint = this.book.hinted(stampKey(file))
    return hint?.node === id && this.book.holds(id, hint.digest) ? hint.digest : undefined
  }
}
