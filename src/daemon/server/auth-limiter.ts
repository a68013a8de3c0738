// Slows down secret guessing: each failed handshake costs its address a token; an address out of tokens
// is turned away at the WebSocket upgrade until the bucket refills. A failure is answered after a
// delay, and the log says so at most once per address per minute (a flood must not fill the disk).

export interface AuthLimiterOptions {
  /** Failures an address may make in a burst. */
  burst?: number
  /** One token comes back this often. */
  refillMs?: number
  /** A failed handshake is answered after this long. */
  failureDelayMs?: number
}

interface Bucket {
  tokens: number
  updated: number
  lastLogged: number
  suppressed: number
}

const LOG_EVERY_MS = 60_000
/** Buckets of addresses that have been quiet for long are forgotten; bounds memory under a scan. */
const MAX_BUCKETS = 10_000

export class AuthLimiter {
  private readonly buckets = new Map<string, Bucket>()
  private readonly refusals = new Map<string, number>()
  readonly burst: number
  readonly refillMs: number
  readonly failureDelayMs: number

  constructor(
    private readonly log: (event: string, fields?: Record<string, unknown>) => void,
    options: AuthLimiterOptions = {},
  ) {
    this.burst = options.burst ?? 10
    this.refillMs = options.refillMs ?? 6_000
    this.failureDelayMs = options.failureDelayMs ?? 500
  }

  /** False while the address has used up its failures. */
  allows(address: string): boolean {
    const bucket = this.buckets.get(address)
    return bucket === undefined || this.refill(bucket) >= 1
  }

  /** Records a failed handshake from `address` and logs it (rate-limited). */
  failed(address: string, reason: string): void {
    const now = performance.now()
    let bucket = this.buckets.get(address)
    if (!bucket) {
      if (this.buckets.size >= MAX_BUCKETS) this.forgetFullBuckets()
      bucket = { tokens: this.burst, updated: now, lastLogged: -Infinity, suppressed: 0 }
      this.buckets.set(address, bucket)
    }
    this.refill(bucket)
    bucket.tokens = Math.max(0, bucket.tokens - 1)
    if (now - bucket.lastLogged >= LOG_EVERY_MS) {
      this.log('authentication failed', {
        address,
        reason,
        ...(bucket.suppressed > 0 ? { moreSinceLastLog: bucket.suppressed } : {}),
        ...(bucket.tokens < 1 ? { blockedForMs: this.refillMs } : {}),
      })
      bucket.lastLogged = now
      bucket.suppressed = 0
    } else {
      bucket.suppressed++
    }
  }

  /** Logs a connection turned away (or closed for a protocol failure), at most once per address and reason a minute. */
  refused(address: string, reason: string, details: Record<string, unknown> = {}): void {
    const key = `${address} ${reason}`
    const now = performance.now()
    const last = this.refusals.get(key)
    if (last !== undefined && now - last < LOG_EVERY_MS) return
    if (this.refusals.size >= MAX_BUCKETS) this.refusals.clear()
    this.refusals.set(key, now)
    this.log('connection refused', { address, reason, ...details })
  }

  private refill(bucket: Bucket): number {
    const now = performance.now()
    bucket.tokens = Math.min(this.burst, bucket.tokens + (now - bucket.updated) / this.refillMs)
    bucket.updated = now
    return bucket.tokens
  }

  private forgetFullBuckets(): void {
    for (const [address, bucket] of this.buckets) if (this.refill(bucket) >= this.burst) this.buckets.delete(address)
    // Still full of active attackers: drop the oldest half rather than grow without bound.
    if (this.buckets.size >= MAX_BUCKETS)
      for (const address of [...this.buckets.keys()].slice(0, MAX_BUCKETS / 2)) this.buckets.delete(address)
  }
}
