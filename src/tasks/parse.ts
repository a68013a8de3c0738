// A task file → TaskSpecs in file order. Every problem is found before anything is returned: the result
// is all the tasks, or a TaskFileError listing every bad line.
import { analyseGraph } from './graph.js'
import { parseJsonLine, type JsonLineResult } from './json-line.js'
import { defaultTaskName } from './names.js'
import { NO_ENV, NO_REQUIREMENTS, NO_STRINGS, type TaskDefaults, type TaskSpec } from './spec.js'
import { TaskFileError, type TaskProblem } from './task-file-error.js'

const BOM = 0xfeff
const HASH = 0x23 // #
const BRACE = 0x7b // {

/**
 * Parses task lines: blank lines and `#` comments are skipped, a line starting with `{` is a JSON task,
 * any other line is a shell command. Accepts a UTF-8 BOM and CRLF. `source` names the file in messages;
 * `defaults` fill the timeout and retries of lines that give none.
 */
export function parseTasks(text: string, source: string, defaults: TaskDefaults = {}): TaskSpec[] {
  const tasks: TaskSpec[] = []
  const problems: TaskProblem[] = []
  const brokenNames = new Set<string>()
  // Explicit names of every line, broken or not, so a duplicate is reported even while its twin has
  // other problems. Default names (`task-<line>`) are unique among themselves, so they are only listed
  // (cheaply) and compared with explicit names at the end. A Set finds a repeat (a Map of name → line
  // cost half as much again in a cold 100,000-line parse); repeats are named after the loop.
  const explicit: Explicit = { seen: new Set(), names: [], lines: [] }
  const repeats: { name: string; line: number }[] = []
  const defaultNamedLines: number[] = []
  const claim = (name: string, line: number): void => {
    if (name.startsWith('task-') && name === defaultTaskName(line)) {
      defaultNamedLines.push(line)
      return
    }
    const known = explicit.seen.size
    explicit.seen.add(name)
    if (explicit.seen.size === known) repeats.push({ name, line })
    else {
      explicit.names.push(name)
      explicit.lines.push(line)
    }
  }
  // Plain shell lines are the hot path (100k+ lines): no regex, no zod, one scan for NUL up front.
  const mayHaveNul = text.includes('\0')
  let start = text.charCodeAt(0) === BOM ? 1 : 0
  let line = 0
  while (start <= text.length) {
    let end = text.indexOf('\n', start)
    if (end === -1) end = text.length
    line++
    const parsed = parseTaskLine(text.slice(start, end), line, defaults, mayHaveNul)
    start = end + 1
    if (parsed === undefined) continue
    if (parsed.ok) {
      tasks.push(parsed.task)
      claim(parsed.task.name, line)
    } else {
      for (const message of parsed.problems) problems.push({ line, message })
      brokenNames.add(parsed.name)
      claim(parsed.name, line)
    }
  }
  for (const p of repeatedNames(explicit, repeats)) problems.push(p)
  for (const p of defaultNameClashes(explicit, defaultNamedLines)) problems.push(p)

  const graph = analyseGraph(tasks, brokenNames, false)
  for (const p of graph.problems) problems.push(p) // not push(...): 100k arguments would overflow the stack
  if (problems.length > 0) throw new TaskFileError(source, problems, undefined, tasks)
  return tasks
}

/**
 * One task line on its own (a stream reads them one by one): undefined for a blank line or a `#`
 * comment, else the task or what is wrong with the line. Names are not checked against other lines.
 */
export function parseTaskLine(raw: string, line: number, defaults: TaskDefaults = {}, mayHaveNul = true): JsonLineResult | undefined {
  const content = raw.trim() // trim also drops the \r of CRLF
  if (content === '') return undefined
  const first = content.charCodeAt(0)
  if (first === HASH) return undefined
  if (first === BRACE) return parseJsonLine(content, line, raw.length - raw.trimStart().length, defaults)
  if (mayHaveNul && content.includes('\0'))
    return { ok: false, problems: ['the command contains a NUL character'], name: defaultTaskName(line) }
  return { ok: true, task: shellTask(content, line, defaults) }
}

interface Explicit {
  seen: Set<string>
  /** Each explicit name once, with the line that used it first. */
  names: string[]
  lines: number[]
}

// Each later use of a name, pointing at its first (looked up once, however many repeats there are).
function repeatedNames(explicit: Explicit, repeats: readonly { name: string; line: number }[]): TaskProblem[] {
  if (repeats.length === 0) return []
  const firstLine = new Map(explicit.names.map((name, i) => [name, explicit.lines[i]]))
  return repeats.map(({ name, line }) => ({ line, message: `name ${JSON.stringify(name)} is already used by line ${firstLine.get(name)}` }))
}

// An explicit name such as "task-12" that is also the default name of the unnamed task on line 12.
function defaultNameClashes(explicit: Explicit, defaultNamedLines: readonly number[]): TaskProblem[] {
  const clashes: [string, number][] = []
  explicit.names.forEach((name, i) => {
    if (/^task-[1-9]\d*$/.test(name)) clashes.push([name, explicit.lines[i] as number])
  })
  if (clashes.length === 0) return []
  const unnamed = new Set(defaultNamedLines)
  return clashes
    .filter(([name]) => unnamed.has(Number(name.slice(5))))
    .map(([name, line]) => ({
      line,
      message: `name ${JSON.stringify(name)} is already the default name of the unnamed task on line ${name.slice(5)}`,
    }))
}

function shellTask(shell: string, line: number, defaults: TaskDefaults): TaskSpec {
  const task: TaskSpec = {
    line,
    name: defaultTaskName(line),
    command: { shell },
    inputs: NO_STRINGS,
    outputs: NO_STRINGS,
    env: NO_ENV,
    requires: NO_REQUIREMENTS,
    after: NO_STRINGS,
    priority: 0,
    slots: 1,
    retries: defaults.retries ?? 0,
    autoInputs: true,
  }
  if (defaults.timeoutMs !== undefined) task.timeoutMs = defaults.timeoutMs
  return task
}
