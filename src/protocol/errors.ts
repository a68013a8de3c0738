// Stable error codes for protocol failures, each with the WebSocket close code used when the failure
// ends the connection. Listed in docs/PROTOCOL.md; never renumber.

export const ERROR_CODES = {
  DISTW_ERR_BAD_FRAME: 4400, // not msgpack, or not a valid message
  DISTW_ERR_FRAME_TOO_LARGE: 1009,
  DISTW_ERR_UNKNOWN_TYPE: 4404,
  DISTW_ERR_VERSION_MISMATCH: 4426,
  DISTW_ERR_NOT_AUTHENTICATED: 4401,
  DISTW_ERR_AUTH_FAILED: 4403,
  DISTW_ERR_HANDSHAKE_TIMEOUT: 4408,
  DISTW_ERR_UNEXPECTED: 4409, // a valid message at the wrong moment
  DISTW_ERR_BAD_PATH: 4422,
  DISTW_ERR_NO_LEASE: 4410,
  DISTW_ERR_BLOB_CORRUPT: 4412,
  DISTW_ERR_BLOB_MISSING: 4413,
  DISTW_ERR_UPLOAD_LIMIT: 4429, // too many (or too large) unfinished uploads
  DISTW_ERR_TASK_FAILED_TO_START: 4500,
  DISTW_ERR_INTERNAL: 1011,
} as const

export type ErrorCode = keyof typeof ERROR_CODES

/** A protocol-level failure: carries a stable code and the close code to end the connection with. */
export class ProtocolError extends Error {
  readonly code: ErrorCode
  readonly closeCode: number

  constructor(code: ErrorCode, message: string) {
    super(message)
    this.name = 'ProtocolError'
    this.code = code
    this.closeCode = ERROR_CODES[code]
  }
}
