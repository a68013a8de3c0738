// `distw run`'s command line → task lines: one per `:::` combination, or per line of standard input
// when there is no `:::`/`::::` group. Each is a JSON line (`{"run": …}`), so an argument holding a
// newline stays inside its task, and the task's files are found in its words as for any plain line.
import fs from 'node:fs/promises'
import path from 'node:path'
import { UserError } from '../errors.js'
import { combinations, expandTemplate, splitRunLine } from './run-template.js'

export interface RunSources {
  cwd: string
  /** The whole of standard input, read only when it is needed. */
  stdin: () => Promise<string>
  /** What `{%}` cycles through (`-j N`); default 1. */
  slots?: number
}

/** The task lines of `distw run WORDS…`; a UserError when there is no command. */
export async function runTaskLines(words: readonly string[], sources: RunSources): Promise<string> {
  const line = splitRunLine(words)
  if (line.template.length === 0) {
    throw new UserError('no command given', 'write the command before its arguments: distw run gzip -k {} ::: *.txt')
  }
  const groups = [...line.groups]
  for (const file of line.files) groups.push(lines(file === '-' ? await sources.stdin() : await readArguments(sources.cwd, file)))
  if (groups.length === 0) groups.push(lines(await sources.stdin()))
  const out: string[] = []
  let seq = 0
  for (const values of combinations(groups)) {
    seq++
    out.push(JSON.stringify({ run: expandTemplate(line.template, values, seq, sources.slots) }))
  }
  return out.join('\n')
}

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
