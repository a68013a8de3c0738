// What is derived from the pool secret, each with its own label so that no derived value reveals
// another or the secret: the pool id (public: in discovery answers) and the TLS pre-shared key.
import { createHash, hkdfSync } from 'node:crypto'

/** A short public name of the pool: 8 hex digits of a labelled hash of its secret (never the secret). */
export function poolId(secret: Buffer): string {
  return createHash('sha256').update('distw-pool-id\0').update(secret).digest('hex').slice(0, 8)
}

/** The 32-byte TLS pre-shared key of the pool (HKDF-SHA-256 of the secret). */
export function poolPsk(secret: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, 'distw-pool-psk-salt', 'distw tls psk v1', 32))
}
