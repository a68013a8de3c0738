// Every error code on the wire, listed once, with what it does to the connection. Listed in
// docs/PROTOCOL.md ("Errors"); never renumber, never reuse a name.

/**
 * `close`: the WebSocket close code when the error ends the connection (the node or client sends the
 * `error` frame, then closes with it). `null`: the error answers one request, the frame carries its
 * `task`, and the connection goes on.
 */
export const ERRORS = {
  DISTW_ERR_BAD_FRAME: { close: 4400 }, // not msgpack, or not a valid message
  DISTW_ERR_FRAME_TOO_LARGE: { close: 1009 },
  DISTW_ERR_UNKNOWN_TYPE: { close: 4404 },
  DISTW_ERR_VERSION_MISMATCH: { close: 4426 },
  DISTW_ERR_NOT_AUTHENTICATED: { close: 4401 },
  DISTW_ERR_AUTH_FAILED: { close: 4403 },
  DISTW_ERR_HANDSHAKE_TIMEOUT: { close: 4408 },
  DISTW_ERR_UNEXPECTED: { close: 4409 }, // a valid message at the wrong moment
  DISTW_ERR_BAD_PATH: { close: 4422 },
  DISTW_ERR_BLOB_CORRUPT: { close: 4412 },
  DISTW_ERR_UPLOAD_LIMIT: { close: 4429 }, // too many (or too large) unfinished uploads
  DISTW_ERR_INTERNAL: { close: 1011 },
  // Never sent as a frame: a run naming a blob the node lacks ends in `exit` with `missing`.
  DISTW_ERR_BLOB_MISSING: { close: 4413 },
  // Reserved (a spawn failure is reported in `exit.error`).
  DISTW_ERR_TASK_FAILED_TO_START: { close: 4500 },
  // About one request; the connection stays open.
  DISTW_ERR_NO_LEASE: { close: null }, // a run whose lease is unknown, expired or used
  DISTW_ERR_NOT_YOURS: { close: null }, // a watcher's cancel of another client's task
  DISTW_ERR_UNKNOWN_TASK: { close: null }, // a watcher's cancel of an id not running
  DISTW_ERR_NOT_OWNER: { close: null }, // a decide without the owner token, or not over loopback
} as const satisfies Record<string, { close: number | null }>

/** The error codes, as a type: `code` of an `error` frame is one of these. */
export type ErrorCode = keyof typeof ERRORS
export const ERROR_CODES = Object.keys(ERRORS) as [ErrorCode, ...ErrorCode[]]

/** The codes that end the connection (a ProtocolError carries one of these). */
export type ClosingErrorCode = { [C in ErrorCode]: (typeof ERRORS)[C]['close'] extends number ? C : never }[ErrorCode]

/** A protocol-level failure: carries a stable code and the close code to end the connection with. */
export class ProtocolError extends Error {
  readonly code: ClosingErrorCode
  readonly closeCode: number

  constructor(code: ClosingErrorCode, message: string) {
    super(message)
    this.name = 'ProtocolError'
    this.code = code
    this.closeCode = ERRORS[code].close
  }
}
