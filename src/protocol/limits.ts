// Numbers both ends of the wire must agree on. Changing one of these is a protocol change:
// bump PROTOCOL_VERSION and update docs/PROTOCOL.md in the same commit.

export const PROTOCOL_VERSION = 5

/** The TCP port a node listens on and a peer address without `:PORT` means; discovery probes go there too. */
export const DEFAULT_PORT = 7420

/** Size of one file chunk (blob upload or returned file). */
export const CHUNK_BYTES = 1024 * 1024

/** A returned file smaller than this is never kept in the node's blob cache (`file.cached`): sending it again costs less than the bookkeeping. */
export const CACHED_OUTPUT_MIN_BYTES = 64 * 1024

/** Largest frame either side accepts: one chunk plus room for the envelope and long file lists. */
export const MAX_FRAME_BYTES = 4 * 1024 * 1024

/** Messages one frame carries at most: a batch (a msgpack array of messages) holds 2 to this many. */
export const MAX_MESSAGES_PER_FRAME = 64

/** Length of each side's handshake nonce. */
export const NONCE_BYTES = 32

/** Bounds on lists and strings inside messages (a frame under MAX_FRAME_BYTES can still hold silly shapes). */
export const MAX_FILES_PER_TASK = 100_000
export const MAX_PATH_CHARS = 4096
export const MAX_ARGV = 10_000
export const MAX_ENV_VARS = 1_000
export const MAX_STRING_CHARS = 256 * 1024
/** Globs in one task's `outputs` (each also bounded by glob.ts). */
export const MAX_OUTPUT_GLOBS = 1024

/** Runs a node keeps queued behind one lease's running task (`run.queue`); one more is refused NO_LEASE. */
export const MAX_QUEUED_PER_LEASE = 8

/** A submitter's `queue` frame names at most this many of its tasks that wait for their dependencies. */
export const QUEUE_LISTED_TASKS = 50
/** …and at most this many of the dependencies each of them waits for (the rest are counted). */
export const QUEUE_LISTED_AFTER = 8
/** Characters of a task name in a `queue` frame: a longer name is cut by its sender. */
export const QUEUE_NAME_CHARS = 128
/** A `state` lists the queues of at most this many submitter sessions (the first to report). */
export const QUEUES_PER_STATE = 16
/** A submitter sends its `queue` frames at most this often, and only when they changed. */
export const QUEUE_REPORT_MS = 250

/** How long a granted but unused reservation lives before the node takes it back. */
export const LEASE_TTL_MS = 30_000

/** How long the handshake may take before the node hangs up. */
export const HANDSHAKE_TIMEOUT_MS = 10_000

/** Sender pauses when this much is queued on the socket (backpressure). */
export const SEND_HIGH_WATER_BYTES = 4 * CHUNK_BYTES
