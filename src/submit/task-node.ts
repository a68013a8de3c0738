// What the scheduler needs of a node: NodeClient over a real connection, or an in-memory node in the
// scheduler's unit tests. Placement and attempts talk to nodes through this alone.
import type { Blob, RunHandlers } from '../client/node-client.js'
import type { MessageOf, NodeInfo } from '../protocol/index.js'
import type { QueueSink } from './queue-report.js'

export type RunRequest = Omit<MessageOf<'run'>, 'v' | 'type'>

export interface TaskNode extends QueueSink {
  readonly url: string
  readonly info: NodeInfo
  /** False once the connection is lost: everything pending on it has failed then. */
  readonly connected: boolean
  /** Why the node refused the last reservation (e.g. "paused: outside hours 19:00-07:00"). */
  readonly lastRefusal: string | undefined
  /** Called once when the connection is lost (at once if it already is). */
  onLost(listener: (reason: string) => void): void
  /** Called whenever the node says slots came free after refusing this submitter. */
  onFree(listener: () => void): void
  /** A lease on `slots` slots (holding `lock`), or undefined when refused. */
  reserve(slots: number, lock?: string): Promise<string | undefined>
  probe(tools: string[], env: string[]): Promise<{ tools: boolean[]; env: boolean[] }>
  release(lease: string): void
  /** Makes sure the node holds every blob; resolves to the bytes this call sent. */
  ensureBlobs(blobs: Blob[]): Promise<number>
  /** Runs a task under a lease; resolves with its exit after all its files arrived. */
  run(request: RunRequest, handlers: RunHandlers): Promise<MessageOf<'exit'>>
  cancel(task: string): void
}
