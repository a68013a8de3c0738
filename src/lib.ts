// The library: `import { submit, submitResults, startDaemon } from 'distw'`.
//
// - submit(options): runs a batch and resolves to its BatchResult; `observer` callbacks watch it run.
//   `options.tasks` is a task file's text, a list of TaskSpecs, or a stream (an async iterable of
//   lines or TaskSpecs) whose tasks run as they come.
// - submitResults(options): the same batch as an async iterator of TaskResults, plus `.batch`.
// - startDaemon(options): a node in this process (port 0 for any free port); `close()` stops it.
export { startDaemon, type DaemonOptions, type RunningDaemon } from './daemon/daemon.js'
export { parseHours, type HoursWindow, type PolicyEnvironment, type PolicyOptions, type PolicyState } from './daemon/policy/policy.js'
export { submit, type SubmitOptions } from './submit/submit.js'
export { defaultDigestStorePath } from './transfer/digest-store.js'
export { submitResults, type ResultStream } from './submit/results-stream.js'
export type { BatchResult, LineProblem, SubmitObserver, TaskResult, TaskStatus } from './submit/result.js'
export type { TaskStream } from './submit/intake.js'
export { parseTasks, type TaskSpec } from './tasks/index.js'
export { UserError, ExternalError, BugError, EXIT } from './errors.js'
export { Discovery, type DiscoveredNode, type DiscoveryOptions, type FoundVia } from './discovery/discovery.js'
