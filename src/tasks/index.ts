// The task-file format: parsing task lines, validating them with line-numbered errors, the `after`
// graph, and resolving each task's inputs against the submit folder.
export { parseTasks, parseTaskLine } from './parse.js'
export { analyseGraph, topoOrder } from './graph.js'
export { checkTaskSpecs } from './line-checks.js'
export { resolveInputs, resolveAllInputs, resolveAgainst, resolveEach, type ResolvedInput } from './inputs.js'
export { patternProblem } from './patterns.js'
export { parseDuration, MAX_TIMER_MS } from './duration.js'
export { formatSize, parseSize } from './size.js'
export { TaskFileError, MAX_LISTED_PROBLEMS, type TaskProblem } from './task-file-error.js'
export { MAX_RETRIES, type Requirements, type TaskSpec } from './spec.js'
