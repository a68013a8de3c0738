// The encrypted transport of a pool: TLS 1.2 with a pre-shared key derived from the pool secret (no
// certificates), an ephemeral (EC)DHE key exchange for forward secrecy, the pool id as PSK identity.
// Node offers no external PSK for TLS 1.3, hence 1.2 pinned. Both ends take their options from here.
import type { ConnectionOptions, TlsOptions } from 'node:tls'
import { poolId, poolPsk } from './pool-keys.js'

/** ChaCha20 first (fast without AES instructions), AES-GCM for machines that have them; both PSK with (EC)DHE. */
export const TLS_CIPHERS = 'ECDHE-PSK-CHACHA20-POLY1305:DHE-PSK-AES128-GCM-SHA256'

/** The first byte of a TLS record carrying a handshake: how a node tells TLS from plain HTTP on one port. */
export const TLS_HANDSHAKE_BYTE = 0x16

const PINNED: Pick<ConnectionOptions, 'ciphers' | 'minVersion' | 'maxVersion'> = {
  ciphers: TLS_CIPHERS,
  minVersion: 'TLSv1.2',
  maxVersion: 'TLSv1.2',
}

/** Options for the node's TLS server: the pool's key for a client naming the pool's id, none for any other. */
export function tlsServerOptions(secret: Buffer): TlsOptions {
  const psk = poolPsk(secret)
  const id = poolId(secret)
  return { ...PINNED, pskCallback: (_socket, identity) => (identity === id ? psk : null) }
}

/** Options for a client's TLS connection to a node of the pool. */
export function tlsClientOptions(secret: Buffer): ConnectionOptions {
  const psk = poolPsk(secret)
  const identity = poolId(secret)
  // The PSK is the node's proof of identity; there is no certificate to check a name against.
  return { ...PINNED, pskCallback: () => ({ psk, identity }), checkServerIdentity: () => undefined }
}
