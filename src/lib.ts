// The library: `import { submit, startDaemon } from 'distw'`.
export { startDaemon, type DaemonOptions, type RunningDaemon } from './daemon/daemon.js'
export { submit, type SubmitOptions } from './submit/submit.js'
export type { BatchResult, SubmitObserver, TaskResult, TaskStatus } from './submit/result.js'
export { parseTasks, type TaskSpec } from './tasks/index.js'
export { UserError, ExternalError, BugError, EXIT } from './errors.js'
export { Discovery, type DiscoveredNode, type DiscoveryOptions, type FoundVia } from './discovery/discovery.js'
