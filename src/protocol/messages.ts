// Every message that crosses the wire, as one zod schema each. Types are derived from the schemas, so
// the validator and the type cannot drift apart. Objects are strict: an unknown field is a bad frame.
import { z } from 'zod'
import { ERROR_CODES } from './errors.js'
import { globListProblem, globProblem } from './glob.js'
import {
  MAX_ARGV,
  MAX_ENV_VARS,
  MAX_FILES_PER_TASK,
  MAX_OUTPUT_GLOBS,
  MAX_PATH_CHARS,
  MAX_STRING_CHARS,
  NONCE_BYTES,
  PROTOCOL_VERSION,
  QUEUE_LISTED_AFTER,
  QUEUE_LISTED_TASKS,
  QUEUE_NAME_CHARS,
  QUEUES_PER_STATE,
} from './limits.js'

const bytes = z.custom<Buffer>((value) => Buffer.isBuffer(value), 'expected binary data')
const nonce = bytes.refine((b) => b.length === NONCE_BYTES, `nonce must be ${NONCE_BYTES} bytes`)
const text = z.string().max(MAX_STRING_CHARS)
const name = z.string().min(1).max(256)
const wirePath = z.string().min(1).max(MAX_PATH_CHARS)
const digest = z.string().regex(/^[0-9a-f]{64}$/, 'expected a lowercase hex SHA-256')
const count = z.int().min(0).max(Number.MAX_SAFE_INTEGER)
const requestId = z
  .int()
  .min(0)
  .max(2 ** 31)
const taskId = z.string().min(1).max(128)
const mode = z.int().min(0).max(0o7777)
/** A variable name as POSIX shells take it: anything else (`=`, NUL, empty) would set another name or fail only at spawn. */
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/
const envName = z.string().max(1024).regex(ENV_NAME, 'a variable name is letters, digits and _, not starting with a digit')
const envValue = text.refine((v) => !v.includes('\0'), 'a variable value cannot contain NUL')

const message = <T extends string, S extends z.ZodRawShape>(type: T, shape: S) =>
  z.strictObject({ v: z.literal(PROTOCOL_VERSION), type: z.literal(type), ...shape })

/** What a node tells about itself in the handshake (and, later, in discovery records). */
export const NodeInfo = z.strictObject({
  id: name,
  name,
  version: z.string().max(64),
  os: z.string().max(32),
  arch: z.string().max(32),
  slots: z.int().min(1).max(4096),
  tags: z.array(name).max(256),
  /** Total memory in bytes and logical CPUs, for `requires.memory` / `requires.cpus`. */
  memory: count.optional(),
  cpus: z.int().min(1).max(65536).optional(),
})
export type NodeInfo = z.infer<typeof NodeInfo>

// Handshake: hello → challenge → auth → welcome. Both sides contribute a nonce; with a shared secret,
// each proves knowledge of it by an HMAC over both nonces (see docs/PROTOCOL.md).
export const Hello = message('hello', { role: z.enum(['submit', 'watch']), client: name, nonce })
export const Challenge = message('challenge', {
  auth: z.enum(['none', 'hmac']),
  nonce,
  proof: bytes,
  node: NodeInfo,
})
export const Auth = message('auth', { proof: bytes })
export const Welcome = message('welcome', { session: name })

// Slots: a reservation is a lease the node takes back if it is not used in time.
// `lock`: at most one lease holding the same lock name exists on a node at a time.
export const Reserve = message('reserve', { id: requestId, slots: z.int().min(1).max(4096), lock: name.optional() })
export const Reserved = message('reserved', { id: requestId, lease: name, ttlMs: count })
export const Refused = message('refused', { id: requestId, reason: text })
export const Release = message('release', { lease: name })
/** Node → submitters it refused since the last notice: slots came free, ask again (no polling). */
export const Free = message('free', { slots: count })

// Requirements a node cannot tell in its NodeInfo: which tools are on a task's PATH, which variables
// a task's environment has (`NAME` set, or `NAME=value` exactly). Answers are booleans in the asked order.
const probeList = z.array(z.string().min(1).max(1024)).max(256)
export const Probe = message('probe', { id: requestId, tools: probeList, env: probeList })
export const Probed = message('probed', { id: requestId, tools: z.array(z.boolean()).max(256), env: z.array(z.boolean()).max(256) })

// Content-addressed upload: ask what the node lacks, then stream only that, chunk by chunk.
export const Have = message('have', {
  id: requestId,
  blobs: z.array(z.strictObject({ digest, size: count })).max(MAX_FILES_PER_TASK),
})
export const Need = message('need', { id: requestId, digests: z.array(digest).max(MAX_FILES_PER_TASK) })
export const Blob = message('blob', { digest, offset: count, data: bytes, final: z.boolean() })

export const InputFile = z.strictObject({ path: wirePath, digest, mode })
export type InputFile = z.infer<typeof InputFile>

// An `outputs` glob (glob.ts): bounded so that matching a task's files can never stall the node.
const outputGlob = wirePath.superRefine((glob, ctx) => {
  const problem = globProblem(glob)
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: `glob ${problem}` })
})
const outputGlobs = z
  .array(outputGlob)
  .max(MAX_OUTPUT_GLOBS)
  .superRefine((globs, ctx) => {
    const problem = globListProblem(globs)
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: `the globs ${problem}` })
  })

export const Command = z.union([z.strictObject({ shell: text.min(1) }), z.strictObject({ argv: z.array(text).min(1).max(MAX_ARGV) })])
export type Command = z.infer<typeof Command>

export const Run = message('run', {
  lease: name,
  task: taskId,
  name,
  command: Command,
  env: z.record(envName, envValue).refine((e) => Object.keys(e).length <= MAX_ENV_VARS, 'too many env vars'),
  files: z.array(InputFile).max(MAX_FILES_PER_TASK),
  outputs: outputGlobs,
  timeoutMs: count.optional(),
  // Claim reuse (HTCondor's): keep the lease when this task ends, for the submitter's next task.
  keep: z.boolean().optional(),
  // Pipelining: the lease may still be running this session's previous task; this run then waits on
  // the node and starts on the lease the moment that task ends and the lease is kept (no round trip).
  queue: z.boolean().optional(),
})
export const Cancel = message('cancel', { task: taskId })

export const Started = message('started', { task: taskId })
// A node started with --approve holds a run whose program its owner has not approved yet (before
// `started`): `reason` says so and how the owner answers. Then `started` (approved) or `exit` (denied,
// unanswered in time, cancelled) follows.
export const Held = message('held', { task: taskId, reason: text })
export const Output = message('output', { task: taskId, stream: z.enum(['stdout', 'stderr']), data: bytes })
export const FileChunk = message('file', {
  task: taskId,
  path: wirePath,
  mode,
  offset: count,
  data: bytes,
  final: z.boolean(),
  // On a final chunk: the node kept this file in its blob cache under this digest (a dependent run there
  // needs no upload of it). A hint for placement only: the submitter does not take it as the file's digest.
  cached: digest.optional(),
})
export const Skipped = z.strictObject({ path: wirePath, reason: text })
export const Exit = message('exit', {
  task: taskId,
  exitCode: z.int().nullable(),
  signal: z.string().max(32).nullable(),
  durationMs: count,
  timedOut: z.boolean(),
  // With timedOut: the limit the node applied (the task's own, else the node's default, capped by its maximum).
  timeoutMs: count.optional(),
  deleted: z.array(wirePath).max(MAX_FILES_PER_TASK),
  skipped: z.array(Skipped).max(MAX_FILES_PER_TASK),
  error: text.optional(),
  // The lease asked to be kept still holds its slots (unused, expiring as a fresh one): run on it or release it.
  kept: z.boolean().optional(),
  // The task started, but ended before the node sent `started` (a short task with no output): this says it.
  started: z.literal(true).optional(),
  // Stopped by the node's policy (--evict), not by its own failure: the submitter runs it again.
  evicted: z.boolean().optional(),
  // Inputs the node could not set the task up with (cleared from its cache, or lent to a task that
  // changed them): not the task's failure; the submitter sends them again and runs the task again.
  missing: z.array(digest).max(MAX_FILES_PER_TASK).optional(),
})

// A task's own progress report (a `::distw::progress 45 encoding` line on its stdout, not forwarded).
export const Progress = message('progress', { task: taskId, percent: z.number().min(0).max(100), text: z.string().max(1024) })

// What a submitter's batch holds back (protocol 4): how many of its tasks wait for their dependencies
// (`waiting`, the first QUEUE_LISTED_TASKS of them named with what they wait for) and how many are
// ready but not started (`ready`). Sent to every node it holds a session with, when it changed, at most
// every QUEUE_REPORT_MS; `batch` (random, one per batch) lets a monitor that reads several nodes count
// it once. The node shows the latest one to monitors until the session ends; an empty one clears it.
const queueName = z.string().min(1).max(QUEUE_NAME_CHARS)
export const WaitingTask = z.strictObject({
  name: queueName,
  /** Dependencies it still waits for: the first QUEUE_LISTED_AFTER; `more` counts the others. */
  after: z.array(queueName).max(QUEUE_LISTED_AFTER),
  more: count,
})
export type WaitingTask = z.infer<typeof WaitingTask>
const queueShape = { batch: name, waiting: count, ready: count, tasks: z.array(WaitingTask).max(QUEUE_LISTED_TASKS) }
export const Queue = message('queue', queueShape)

// The watch stream (hello role 'watch'): after `watch`, the node sends `state` snapshots, at most a few
// a second, and only while the watcher keeps up. A watcher's `cancel` names a task by its state id.
export const Watch = message('watch', {})
// The node owner's answer to a held program (`distw approve/deny HASH`, `a`/`d` in `distw top`), from a
// watcher on the node's own machine: `token` is the owner token (the owner-token file beside the pool
// secret, readable by the owner only), accepted over loopback only. `decided` says how many held tasks it
// let go; the answer to a watcher without the token, or not on loopback, is error DISTW_ERR_NOT_OWNER.
export const Decide = message('decide', { digest, allow: z.boolean(), token: bytes })
export const Decided = message('decided', { digest, allow: z.boolean(), tasks: count })
/** A held task's program, while it waits for the owner's approval. */
export const HeldProgram = z.strictObject({ digest, program: z.string().max(4096), sinceMs: count })
export const RunningTask = z.strictObject({
  id: taskId,
  name,
  client: name,
  elapsedMs: count,
  percent: z.number().min(0).max(100).nullable(),
  text: z.string().max(1024),
  command: z.string().max(4096),
  tail: z.string().max(16 * 1024),
  mine: z.boolean(),
  /** Waiting for the owner's approval of its program (daemon --approve); it has not started. */
  held: HeldProgram.optional(),
})
export type RunningTask = z.infer<typeof RunningTask>
export const FinishedTask = z.strictObject({
  id: taskId,
  name,
  client: name,
  ok: z.boolean(),
  exitCode: z.int().nullable(),
  durationMs: count,
  agoMs: count,
})
export type FinishedTask = z.infer<typeof FinishedTask>
/** A submitter session's latest `queue`, as monitors see it: whose, since how long, and whether it is the watcher's own client. */
export const SubmitterQueue = z.strictObject({ client: name, ...queueShape, ageMs: count, mine: z.boolean() })
export type SubmitterQueue = z.infer<typeof SubmitterQueue>
/** How a node kills a task's whole process tree (see docs/SECURITY.md), and the caps each task runs under. */
export const TaskTreeInfo = z.strictObject({
  method: z.enum(['cgroup', 'environ']),
  /** Why the node uses the environment marker, not cgroups ("cannot create a cgroup in …"). */
  note: z.string().max(200).optional(),
  /** cgroup memory.max of each task, bytes. */
  memoryBytes: count.optional(),
  /** cgroup cpu.max of each task, in CPUs. */
  cpus: z.number().positive().max(65536).optional(),
})
export type TaskTreeInfo = z.infer<typeof TaskTreeInfo>
export const State = message('state', {
  node: NodeInfo,
  slotsUsed: z.int().min(0).max(4096),
  load: z.number().min(0).max(1e6),
  state: z.enum(['idle', 'busy', 'draining']),
  /** Why the node is draining ("paused: outside hours 19:00-07:00"); left out otherwise. */
  pauseReason: z.string().max(200).optional(),
  running: z.array(RunningTask).max(4096),
  recent: z.array(FinishedTask).max(64),
  succeeded: count,
  failed: count,
  /** Runs sent ahead (pipelining) that wait behind a running task for its slot; absent when none. */
  queued: z.int().min(0).max(4096).optional(),
  /** The blob cache: bytes held, and the --cache-size cap (soft: pinned blobs may exceed it). */
  cache: z.strictObject({ usedBytes: count, capBytes: count }).optional(),
  /** How the node finds and kills every process of a task. */
  tree: TaskTreeInfo.optional(),
  /** What the submitters it holds sessions with hold back (their `queue` frames); absent when none. */
  queues: z.array(SubmitterQueue).max(QUEUES_PER_STATE).optional(),
})

export const ErrorMessage = message('error', { code: z.enum(ERROR_CODES), message: text, task: taskId.optional() })

export const Message = z.discriminatedUnion('type', [
  Hello,
  Challenge,
  Auth,
  Welcome,
  Reserve,
  Reserved,
  Refused,
  Release,
  Free,
  Probe,
  Probed,
  Have,
  Need,
  Blob,
  Run,
  Cancel,
  Started,
  Held,
  Output,
  FileChunk,
  Exit,
  Progress,
  Queue,
  Watch,
  Decide,
  Decided,
  State,
  ErrorMessage,
])
export type Message = z.infer<typeof Message>
export type MessageType = Message['type']
export type MessageOf<T extends MessageType> = Extract<Message, { type: T }>
/** A message as a caller writes it: the codec stamps the version. */
export type Outgoing = Message extends infer M ? (M extends { v: number } ? Omit<M, 'v'> : never) : never
export const MESSAGE_TYPES: ReadonlySet<string> = new Set(Message.options.map((o) => o.shape.type.value))
