// What every session of this node shares: who the node is, its secret and gates, its slots, blob
// store, task runner, state for monitors, policy, log, and how a lost submitter's tasks are treated.
import type { NodeInfo } from '../../protocol/index.js'
import type { BlobStore } from '../blobs/blob-store.js'
import type { NodeState } from '../monitor/node-state.js'
import type { Approvals } from '../policy/approvals.js'
import type { NodePolicy } from '../policy/policy.js'
import type { SlotTable } from '../policy/slots.js'
import type { TaskRunContext } from '../run/task-run.js'
import type { AuthLimiter } from './auth-limiter.js'

export interface NodeContext {
  info: NodeInfo
  secret: Buffer | undefined
  limiter: AuthLimiter
  slots: SlotTable
  store: BlobStore
  task: TaskRunContext
  state: NodeState
  log: (event: string, fields?: Record<string, unknown>) => void
  /** How long a lost submitter's tasks keep running before they are killed (it may only be a blip). */
  submitterGraceMs?: number
  /** Aborted when the node shuts down: lost sessions' tasks are then killed at once, not after the grace. */
  stopping?: AbortSignal
  policy: NodePolicy
  /** daemon --approve: held programs, and the owner token a `decide` must carry (over loopback). */
  approvals?: { book: Approvals; ownerToken: Buffer } | undefined
}
