// `distw run`'s command line → task lines: one per `:::` combination, or per line of standard input
// when there is no `:::`/`::::` group (then as a stream). Each is a JSON line (`{"run": …}`), so an argument holding a
// newline stays inside its task, and the task's files are found in its words as for any plain line.
import fs from 'node:fs/promises'
import path from 'node:path'
import { UserError } from '../errors.js'
import { readAll } from './line-chunks.js'
import { combinations, expandTemplate, splitRunLine } from './run-template.js'

export interface RunSources {
  cwd: string
  /** Standard input as whole lines (lineChunks), read only when it is needed. */
  stdin: () => AsyncIterable<string>
  /** What `{%}` cycles through (`-j N`); default 1. */
  slots?: number
}

/**
 * The task lines of `distw run WORDS…`; a UserError when there is no command. Arguments read from
 * standard input (no `:::` and no `::::`) come as a stream: each task line is made as its argument
 * arrives, so the first task can start while the producer still writes.
 */
export async function runTaskLines(words: readonly string[], sources: RunSources): Promise<string | AsyncIterable<string>> {
  const line = splitRunLine(words)
  if (line.template.length === 0) {
    throw new UserError('no command given', 'write the command before its arguments: distw run gzip -k {} ::: *.txt')
  }
  if (line.groups.length === 0 && line.files.length === 0) return streamed(sources.stdin(), line.template, sources.slots)
  const groups = [...line.groups]
  for (const file of line.files) groups.push(lines(file === '-' ? await readAll(sources.stdin()) : await readArguments(sources.cwd, file)))
  const out: string[] = []
  let seq = 0
  for (const values of combinations(groups)) {
    seq++
    out.push(taskLine(line.template, values, seq, sources.slots))
  }
  return out.join('\n')
}

// One task line per argument line, numbered on across chunks (`{#}` is the line number).
async function* streamed(chunks: AsyncIterable<string>, template: readonly string[], slots: number | undefined): AsyncGenerator<string> {
  let seq = 0
  for await (const chunk of chunks) {
    const out = lines(chunk).map((value) => taskLine(template, [value], ++seq, slots))
    if (out.length > 0) yield out.join('\n')
  }
}

const taskLine = (template: readonly string[], values: string[], seq: number, slots: number | undefined): string =>
  JSON.stringify({ run: expandTemplate(template, values, seq, slots) })

// One argument a line; a final newline ends the last line, it does not add an empty argument.
function lines(text: string): string[] {
  if (text === '') return []
  const all = text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l))
  if (all[all.length - 1] === '') all.pop()
  return all
}

async function readArguments(cwd: string, file: string): Promise<string> {
  try {
    return await fs.readFile(path.resolve(cwd, file), 'utf8')
  } catch (error) {
    throw new UserError(
      `cannot read argument file ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
      'check the path after ::::',
    )
  }
}
