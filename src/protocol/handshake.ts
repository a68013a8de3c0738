// The proofs exchanged in the handshake. Each side proves it knows the shared secret by an HMAC over
// both nonces, with a different label per direction so one side's proof cannot be reflected back.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { NONCE_BYTES } from './limits.js'

export type ProofLabel = 'distw-v1-node' | 'distw-v1-client'

export function newNonce(): Buffer {
  return randomBytes(NONCE_BYTES)
}

/** node proof = HMAC(secret, label | clientNonce | nodeNonce); client proof uses the other label. */
export function computeProof(secret: Buffer, label: ProofLabel, clientNonce: Buffer, nodeNonce: Buffer): Buffer {
  return createHmac('sha256', secret).update(label).update(clientNonce).update(nodeNonce).digest()
}

/** Constant-time comparison that is also safe on length mismatch. */
export function proofMatches(expected: Buffer, received: Buffer): boolean {
  return expected.length === received.length && timingSafeEqual(expected, received)
}
