// Rules for the strings of a task line that end up as folder names or environment names.

export const MAX_NAME_CHARS = 200
// A task's name becomes a folder name, and most file systems cap a name at 255 bytes.
export const MAX_NAME_BYTES = 255

// One rule for variable names, the wire's (a task line that passes here is never refused by a node).
export { ENV_NAME } from '../protocol/index.js'

// Short ASCII names, which need none of the checks below (not "." or "..", ≤ 200 bytes): the usual case.
const PLAIN_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.+@:-]{0,199}$/
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/** The default name of the task on a line, for shell lines and JSON lines without a name. */
export function defaultTaskName(line: number): string {
  return `task-${line}`
}

/** Returns what is wrong with a task name, or undefined when it can be used as a folder name. */
export function taskNameProblem(name: string): string | undefined {
  if (PLAIN_NAME.test(name)) return undefined
  if (name === '') return 'must not be empty'
  if (name === '.' || name === '..') return 'cannot be "." or ".." (names become folder names)'
  if (name.includes('/') || name.includes('\\')) return 'cannot contain "/" or "\\" (names become folder names)'
  if (CONTROL.test(name)) return 'cannot contain control characters or NUL'
  if (LONE_SURROGATE.test(name)) return 'contains an unpaired UTF-16 surrogate (\\uD800–\\uDFFF escape)'
  if (name.trim() !== name) return 'cannot start or end with a space'
  // Count code points, not UTF-16 units, so an emoji counts as one character.
  let chars = 0
  for (const _ of name) chars++
  if (chars > MAX_NAME_CHARS) return `is ${chars} characters long; the limit is ${MAX_NAME_CHARS}`
  const bytes = Buffer.byteLength(name, 'utf8')
  if (bytes > MAX_NAME_BYTES) return `is ${bytes} bytes long in UTF-8; the limit is ${MAX_NAME_BYTES}`
  return undefined
}

/** A name as shown in messages: bare when it is plain, JSON-quoted when it has spaces or odd characters. */
export function showName(name: string): string {
  return /^[\p{L}\p{N}_.:@+-]+$/u.test(name) ? name : JSON.stringify(name)
}
