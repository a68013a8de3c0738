// Bounds on unfinished uploads: each holds an open file and disk space until its last chunk, so a
// connection that starts thousands and finishes none would take every file descriptor of the node
// (no client could connect) or its disk. Counted per connection and per node, in uploads and bytes.
import fs from 'node:fs'
import { ProtocolError } from '../../protocol/index.js'

export interface UploadLimits {
  perConnection: number
  perNode: number
  bytesPerConnection: number
  bytesPerNode: number
}

/** File descriptors kept free of uploads: for accepting connections, task pipes, the cache's own files. */
export const FD_RESERVE = 256
/** Uploads one connection may have unfinished at once; the reference client keeps at most UPLOADS_IN_FLIGHT. */
export const MAX_UPLOADS_PER_CONNECTION = 64
const MAX_UPLOADS_PER_NODE = 1024

/** The defaults: counts from the process's open-file limit (minus the reserve), bytes from the cache cap. */
export function defaultUploadLimits(cacheBytes: number): UploadLimits {
  const perNode = Math.max(16, Math.min(MAX_UPLOADS_PER_NODE, Math.floor((openFileLimit() - FD_RESERVE) / 2)))
  const bytes = Number.isFinite(cacheBytes) ? cacheBytes : Number.MAX_SAFE_INTEGER
  return { perConnection: Math.min(MAX_UPLOADS_PER_CONNECTION, perNode), perNode, bytesPerConnection: bytes, bytesPerNode: bytes }
}

// The soft RLIMIT_NOFILE, read from /proc (Node has no getrlimit); 1024, the usual default, elsewhere.
function openFileLimit(): number {
  try {
    const line = /^Max open files\s+(\d+|unlimited)/m.exec(fs.readFileSync('/proc/self/limits', 'utf8'))?.[1]
    return line === undefined || line === 'unlimited' ? 65536 : Number(line)
  } catch {
    return 1024
  }
}

/** Counts unfinished uploads by connection; `admit` refuses one past a bound with DISTW_ERR_UPLOAD_LIMIT. */
export class UploadBudget {
  private count = 0
  private bytes = 0
  private readonly byOwner = new Map<string, { count: number; bytes: number }>()

  constructor(private readonly limits: UploadLimits) {}

  /** Counts a new upload of `owner`; throws when it would pass a bound. */
  admit(owner: string): void {
    const mine = this.byOwner.get(owner) ?? { count: 0, bytes: 0 }
    if (mine.count >= this.limits.perConnection)
      throw limit(`this connection has ${mine.count} uploads unfinished; at most ${this.limits.perConnection} at once`)
    if (this.count >= this.limits.perNode)
      throw limit(`the node has ${this.count} uploads unfinished; at most ${this.limits.perNode} at once`)
    mine.count++
    this.count++
    this.byOwner.set(owner, mine)
  }

  /** Counts `n` more bytes of an unfinished upload of `owner`; throws when they would pass a bound. */
  grow(owner: string, n: number): void {
    const mine = this.byOwner.get(owner)
    if (!mine) return
    if (mine.bytes + n > this.limits.bytesPerConnection)
      throw limit(`unfinished uploads of this connection would pass ${this.limits.bytesPerConnection} bytes (the node's --cache-size)`)
    if (this.bytes + n > this.limits.bytesPerNode)
      throw limit(`unfinished uploads on the node would pass ${this.limits.bytesPerNode} bytes (its --cache-size)`)
    mine.bytes += n
    this.bytes += n
  }

  /** An upload of `owner` of `received` bytes finished or was dropped. */
  release(owner: string, received: number): void {
    const mine = this.byOwner.get(owner)
    if (!mine) return
    mine.count--
    mine.bytes -= received
    this.count--
    this.bytes -= received
    if (mine.count === 0) this.byOwner.delete(owner)
  }
}

function limit(why: string): ProtocolError {
  return new ProtocolError('DISTW_ERR_UPLOAD_LIMIT', `${why}; finish (send \`final\`) uploads before starting more`)
}
