// The error codes are listed once (src/protocol/errors.ts): docs/PROTOCOL.md's table says the same,
// and an `error` frame with a code not on the list is a bad frame.
import fs from 'node:fs'
import { describe, expect, it } from 'vitest'
import { decodeFrame, encodeFrame, ERRORS, ERROR_CODES, ProtocolError, type Outgoing } from '../../src/protocol/index.js'

describe('error codes', () => {
  it('docs/PROTOCOL.md lists every code once, with the close code it ends the connection with, or none', () => {
    const doc = fs.readFileSync(new URL('../../docs/PROTOCOL.md', import.meta.url), 'utf8')
    const rows = [...doc.matchAll(/^\| `(DISTW_ERR_\w+)` \| ([^|]+) \|/gm)].map((m) => [m[1], m[2]?.trim()])
    expect(rows.map(([code]) => code).sort()).toEqual([...ERROR_CODES].sort())
    for (const [code, closes] of rows) {
      const close = ERRORS[code as keyof typeof ERRORS].close
      expect(closes, code).toBe(close === null ? '— (stays open)' : String(close))
    }
  })

  it('an error frame with an unlisted code is a bad frame; a listed one decodes', () => {
    const frame = (code: string) => encodeFrame({ type: 'error', code, message: 'm' } as unknown as Outgoing)
    expect(decodeFrame(frame('DISTW_ERR_NO_LEASE'))).toMatchObject({ type: 'error', code: 'DISTW_ERR_NO_LEASE' })
    expect(() => decodeFrame(frame('DISTW_ERR_MADE_UP'))).toThrow(ProtocolError)
  })
})
