// `distw run`'s command line → task lines: one per argument set of its input sources (`:::`, `::::`,
// -a), or per record of standard input when there is none (then as a stream). Each is a JSON line
// (`{"run": …}`), so an argument holding a newline stays inside its task, and the task's files are
// found in its words as for any plain line.
import fs from 'node:fs/promises'
import path from 'node:path'
import { UserError } from '../errors.js'
import { readAll } from './line-chunks.js'
import { splitRunLine, type RunSource } from './run-line.js'
import { argumentSets, columns, perTask, records } from './run-records.js'
import { expandTemplate, highestPosition, withReplaceString } from './run-template.js'

/** GNU Parallel's input options of `distw run` (-a, -0/-d, --colsep, --link, -N, -I). */
export interface RunInputOptions {
  /** `-a FILE`: sources read before those of the command line (`-` is standard input). */
  argFiles?: readonly string[]
  /** What ends a record of standard input and of argument files (default a newline). */
  delimiter?: string
  colsep?: RegExp
  /** --link: every source paired record by record, the shorter ones wrapping. */
  link?: boolean
  /** -N: argument sets a task. */
  maxArgs?: number
  /** -I: the replacement string used instead of `{}`. */
  replace?: string
}

export interface RunSources extends RunInputOptions {
  cwd: string
  /** Standard input as chunks of whole records ending with `delimiter`, read only when it is needed. */
  stdin: (delimiter: string) => AsyncIterable<string>
  /** What `{%}` cycles through (`-j N`); default 1. */
  slots?: number
}

/**
 * The task lines of `distw run WORDS…`; a UserError when there is no command. Arguments read from
 * standard input (no `:::`, `::::` or -a) come as a stream: each task line is made as its record
 * arrives, so the first task can start while the producer still writes.
 */
export async function runTaskLines(words: readonly string[], sources: RunSources): Promise<string | AsyncIterable<string>> {
  const line = splitRunLine(words)
  const template = sources.replace === undefined ? line.template : withReplaceString(line.template, sources.replace)
  if (template.length === 0) {
    throw new UserError('no command given', 'write the command before its arguments: distw run gzip -k {} ::: *.txt')
  }
  const given: RunSource[] = [
    ...(sources.argFiles ?? []).map((file): RunSource => ({ kind: 'file', path: file, linked: false })),
    ...line.sources,
  ]
  // A position no source can fill is a mistake, said now; with -N or --colsep the count varies, and a
  // missing one is empty, as GNU Parallel makes it.
  const varies = sources.maxArgs !== undefined || sources.colsep !== undefined
  const positions = highestPosition(template)
  const count = Math.max(1, given.length)
  if (!varies && positions > count) {
    throw new UserError(
      `{${positions}} names input source ${positions}, but there ${count === 1 ? 'is 1' : `are ${count}`}`,
      'add a ::: group for it, split each argument into columns with --colsep, or take several with -N',
    )
  }
  const make = taskLineMaker(template, sources.slots, varies)
  const delimiter = sources.delimiter ?? '\n'
  if (given.length === 0) return streamed(sources.stdin(delimiter), delimiter, sources, make)
  const recordsOf = async (source: RunSource): Promise<string[][]> => {
    const values = source.kind === 'args' ? source.values : records(await readSource(source.path, sources, delimiter), delimiter)
    return values.map((value) => columns(value, sources.colsep))
  }
  const all = await Promise.all(given.map(recordsOf))
  const out: string[] = []
  const group = perTask(sources.maxArgs ?? 1)
  for (const set of argumentSets(
    all,
    given.map((s) => s.linked),
    sources.link,
  )) {
    const values = group.add(set)
    if (values) out.push(make(values))
  }
  const rest = group.rest()
  if (rest) out.push(make(rest))
  return out.join('\n')
}

function taskLineMaker(template: readonly string[], slots: number | undefined, emptyMissing: boolean): (values: string[]) => string {
  let seq = 0
  return (values) => JSON.stringify({ run: expandTemplate(template, values, ++seq, slots, emptyMissing) })
}

// Task lines as the records arrive, numbered on across chunks (`{#}` is the task's number).
async function* streamed(
  chunks: AsyncIterable<string>,
  delimiter: string,
  options: RunInputOptions,
  make: (values: string[]) => string,
): AsyncGenerator<string> {
  const group = perTask(options.maxArgs ?? 1)
  for await (const chunk of chunks) {
    const out: string[] = []
    for (const record of records(chunk, delimiter)) {
      const values = group.add(columns(record, options.colsep))
      if (values) out.push(make(values))
    }
    if (out.length > 0) yield out.join('\n')
  }
  const rest = group.rest()
  if (rest) yield make(rest)
}

async function readSource(file: string, sources: RunSources, delimiter: string): Promise<string> {
  if (file === '-') return readAll(sources.stdin(delimiter))
  try {
    return await fs.readFile(path.resolve(sources.cwd, file), 'utf8')
  } catch (error) {
    throw new UserError(
      `cannot read argument file ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
      'check the path after :::: or -a',
    )
  }
}
