// The three kinds of error distw reports, each with its exit code. Commands never call process.exit;
// the one handler in base-command.ts turns these into a message and an exit code.

export const EXIT = {
  OK: 0,
  TASK_FAILED: 1, // the batch ran, some task failed
  USAGE: 2, // bad flags, bad task lines, missing inputs: fix the input and run again
  EXTERNAL: 3, // something outside distw failed: no node reachable, disk, network
  INTERRUPTED: 130,
  READER_GONE: 141, // 128 + SIGPIPE: what a shell reports for `yes | head`'s `yes`
  BUG: 70,
} as const

/** Something the user can fix; the message says what to do. */
export class UserError extends Error {
  readonly exitCode: number = EXIT.USAGE
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message)
    this.name = 'UserError'
  }
}

/** Something outside distw failed (a node, the network, the disk). */
export class ExternalError extends Error {
  readonly exitCode: number = EXIT.EXTERNAL
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message)
    this.name = 'ExternalError'
  }
}

/** A broken invariant inside distw: always a bug to report. */
export class BugError extends Error {
  readonly exitCode: number = EXIT.BUG
  constructor(message: string) {
    super(message)
    this.name = 'BugError'
  }
}
