// The encrypted transport of a pool: TLS 1.2 with a pre-shared key derived from the pool secret (no
// certificates), an ephemeral (EC)DHE key exchange for forward secrecy, the pool id as PSK identity.
// Node offers no external PSK for TLS 1.3, hence 1.2 pinned. Both ends take their options from here.
import { getDiffieHellman } from 'node:crypto'
import { readFileSync } from 'node:fs'
import type { ConnectionOptions, TlsOptions } from 'node:tls'
import { poolId, poolPsk } from './pool-keys.js'

const CHACHA = 'ECDHE-PSK-CHACHA20-POLY1305'
const AES_GCM = 'DHE-PSK-AES128-GCM-SHA256'

/**
 * Both suites, the one this machine computes faster first. OpenSSL has no ECDHE-PSK suite with AES-GCM
 * for TLS 1.2, so AES-GCM comes with a finite-field DHE exchange (~15 ms more a handshake here, once a
 * connection). With AES instructions it carries bulk data faster (measured on these machines: 2.8 GB/s
 * against ChaCha20-Poly1305's 1.9 GB/s, `openssl speed`); without them ChaCha20 is the faster one.
 * The node takes the client's order (OpenSSL's default), so the client's CPU decides.
 */
export const TLS_CIPHERS = hasAesInstructions() ? `${AES_GCM}:${CHACHA}` : `${CHACHA}:${AES_GCM}`

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
  return { ...PINNED, dhparam: dhParameters(), pskCallback: (_socket, identity) => (identity === id ? psk : null) }
}

/** Options for a client's TLS connection to a node of the pool. */
export function tlsClientOptions(secret: Buffer): ConnectionOptions {
  const psk = poolPsk(secret)
  const identity = poolId(secret)
  // The PSK is the node's proof of identity; there is no certificate to check a name against.
  return { ...PINNED, pskCallback: () => ({ psk, identity }), checkServerIdentity: () => undefined }
}

// Linux says in /proc/cpuinfo (x86 `flags`, ARM `Features`: both name `aes`). Elsewhere (macOS,
// Windows) the machines distw meets have them: every x86-64 since ~2010 and Apple silicon.
function hasAesInstructions(): boolean {
  if (process.platform !== 'linux') return true
  try {
    return /^(flags|Features)\s*:.*\baes\b/m.test(readFileSync('/proc/cpuinfo', 'utf8'))
  } catch {
    return true
  }
}

let dhPem: string | undefined
// The 2048-bit MODP group of RFC 3526 for the DHE suite, as PEM (DHParameter: SEQUENCE { p, g }).
// Without parameters Node offers no DHE suite; `dhparam: 'auto'` would pick a 1024-bit group for a
// PSK suite of 128-bit strength, too weak for forward secrecy.
function dhParameters(): string {
  if (dhPem) return dhPem
  const group = getDiffieHellman('modp14')
  const der = derSequence([derInteger(group.getPrime()), derInteger(group.getGenerator())])
  const lines = der.toString('base64').match(/.{1,64}/g) ?? []
  dhPem = `-----BEGIN DH PARAMETERS-----\n${lines.join('\n')}\n-----END DH PARAMETERS-----\n`
  return dhPem
}

function derLength(n: number): number[] {
  return n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff]
}

function derInteger(value: Buffer): Buffer {
  const body = (value[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.from([0]), value]) : value
  return Buffer.concat([Buffer.from([0x02, ...derLength(body.length)]), body])
}

function derSequence(items: Buffer[]): Buffer {
  const body = Buffer.concat(items)
  return Buffer.concat([Buffer.from([0x30, ...derLength(body.length)]), body])
}
