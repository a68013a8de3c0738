// `distw run`'s input flags, GNU Parallel's and xargs's (-a, -0, -d, --colsep, --link, -N, -I), and
// their translation into the options of runTaskLines.
import { Flags } from '@oclif/core'
import { UserError } from '../errors.js'
import { unescapeDelimiter } from '../tasks/run-records.js'
import type { RunInputOptions } from '../tasks/run-tasks.js'

export const runInputFlags = {
  'arg-file': Flags.string({
    char: 'a',
    description: 'read arguments from FILE, one a line, as :::: FILE does (- is standard input; repeat it for more sources)',
    helpValue: 'FILE',
    multiple: true,
    multipleNonGreedy: true,
  }),
  null: Flags.boolean({
    description: 'arguments from standard input and argument files end with a NUL byte, not a newline (find -print0); also -0',
  }),
  delimiter: Flags.string({
    char: 'd',
    description: 'what ends each argument in standard input and argument files (default: a newline; \\n, \\t, \\0 understood)',
    helpValue: 'DELIM',
    exclusive: ['null'],
  }),
  colsep: Flags.string({
    description: 'split each argument into columns {1}, {2}, … at this regular expression (e.g. "\\t" or ",")',
    helpValue: 'REGEX',
  }),
  link: Flags.boolean({
    description:
      "pair the input sources' arguments Nth with Nth (shorter sources wrap) instead of every pairing; :::+ pairs one source with the one before it",
    aliases: ['xapply'],
  }),
  'max-args': Flags.integer({
    char: 'N',
    charAliases: ['n'],
    description: 'put N arguments in each task: {1} … {N} are them, {} all of them',
    min: 1,
  }),
  replace: Flags.string({ char: 'I', description: 'the replacement string to use instead of {} (as xargs -I)', helpValue: 'STR' }),
}

export interface RunInputFlagValues {
  'arg-file'?: string[] | undefined
  null: boolean
  delimiter?: string | undefined
  colsep?: string | undefined
  link: boolean
  'max-args'?: number | undefined
  replace?: string | undefined
}

export function runInputOptions(flags: RunInputFlagValues): RunInputOptions {
  const options: RunInputOptions = { link: flags.link }
  if (flags['arg-file']) options.argFiles = flags['arg-file']
  if (flags.null) options.delimiter = '\0'
  else if (flags.delimiter !== undefined) {
    if (flags.delimiter === '')
      throw new UserError('--delimiter is empty', 'give the character that ends each argument, e.g. -d , or -0 for NUL')
    options.delimiter = unescapeDelimiter(flags.delimiter)
  }
  if (flags.colsep !== undefined) options.colsep = columnSeparator(flags.colsep)
  if (flags['max-args'] !== undefined) options.maxArgs = flags['max-args']
  if (flags.replace !== undefined) {
    if (flags.replace === '') throw new UserError('-I is empty', 'give the string that stands for the argument, e.g. -I %')
    options.replace = flags.replace
  }
  return options
}

function columnSeparator(source: string): RegExp {
  try {
    return new RegExp(source)
  } catch (error) {
    throw new UserError(
      `--colsep ${source} is not a regular expression: ${(error as Error).message}`,
      'write a JavaScript regular expression, e.g. --colsep "\\t" or --colsep ","',
    )
  }
}
