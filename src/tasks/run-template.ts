// `distw run`'s GNU Parallel form: a command template and argument groups → one shell line a task.
// `gzip -k {} ::: a.txt b.txt` → `gzip -k a.txt`, `gzip -k b.txt`. Several groups combine as a
// cartesian product (the first varies slowest); each substituted argument is shell-quoted, so a file
// named `a b;rm -rf x.txt` is one argument, never code. The template itself is shell code, as in GNU
// Parallel: its words are joined with spaces, unquoted.
import { shellQuote } from './shell-quote.js'

/** The command words and the argument groups of a `distw run` command line. */
export interface RunLine {
  template: string[]
  /** `:::` groups: the arguments themselves. */
  groups: string[][]
  /** `::::` groups: files whose lines are the arguments (`-` is standard input). */
  files: string[]
}

/** Splits `CMD ARGS… ::: A B ::: C D :::: FILE` at its separators. */
export function splitRunLine(words: readonly string[]): RunLine {
  const line: RunLine = { template: [], groups: [], files: [] }
  let current: string[] | undefined
  let readingFiles = false
  for (const word of words) {
    if (word === ':::' || word === '::::') {
      readingFiles = word === '::::'
      current = []
      if (!readingFiles) line.groups.push(current)
      continue
    }
    if (current === undefined) line.template.push(word)
    else if (readingFiles) line.files.push(word)
    else current.push(word)
  }
  return line
}

// `{}`, `{.}`, `{/}`, `{//}`, `{/.}`, `{#}`, `{%}`, and positional `{2}`, `{2.}`, `{2/}`… (GNU Parallel's).
const REPLACEMENT = /\{(\d*)(\.|\/\/|\/\.|\/|#|%)?\}/g

export function hasReplacement(template: readonly string[]): boolean {
  return template.some((word) => new RegExp(REPLACEMENT.source).test(word))
}

/**
 * Every combination of `groups` (cartesian product, first group slowest), as the values of one task.
 * A generator: a large product is made as it is used, never held whole.
 */
export function* combinations(groups: readonly (readonly string[])[]): Generator<string[]> {
  if (groups.length === 0 || groups.some((g) => g.length === 0)) return
  const index = groups.map(() => 0)
  for (;;) {
    yield groups.map((g, k) => g[index[k] as number] as string)
    let k = groups.length - 1
    for (; k >= 0; k--) {
      index[k] = (index[k] as number) + 1
      if ((index[k] as number) < (groups[k] as readonly string[]).length) break
      index[k] = 0
    }
    if (k < 0) return
  }
}

/**
 * The shell line of task number `seq` (1-based) with argument values `values`. `slots` is what `{%}`
 * cycles through (the `-j` value): tasks take slot numbers in turn, 1…slots.
 */
export function expandTemplate(template: readonly string[], values: readonly string[], seq: number, slots = 1): string {
  const words = hasReplacement(template) ? template : [...template, '{}']
  return words
    .map((word) =>
      word.replace(REPLACEMENT, (whole, position: string, kind: string | undefined) => {
        if (kind === '#') return position === '' ? String(seq) : whole
        if (kind === '%') return position === '' ? String(((seq - 1) % Math.max(1, slots)) + 1) : whole
        if (position !== '') {
          const value = values[Number(position) - 1]
          return value === undefined ? whole : shellQuote(transform(value, kind))
        }
        return values.map((v) => shellQuote(transform(v, kind))).join(' ')
      }),
    )
    .join(' ')
}

// GNU Parallel's meanings: {.} drops the extension, {/} keeps the base name, {//} the folder, {/.} both.
function transform(value: string, kind: string | undefined): string {
  switch (kind) {
    case '.':
      return withoutExtension(value)
    case '/':
      return baseName(value)
    case '//':
      return dirName(value)
    case '/.':
      return withoutExtension(baseName(value))
    default:
      return value
  }
}

const withoutExtension = (v: string): string => v.replace(/\.[^/.]*$/, '')
const baseName = (v: string): string => v.replace(/^.*\//, '')

// As Perl's File::Basename::dirname, which GNU Parallel uses: "a.txt" → ".", "/x" → "/", "d/e/" → "d".
function dirName(v: string): string {
  const trimmed = v.length > 1 ? v.replace(/\/+$/, '') : v
  const slash = trimmed.lastIndexOf('/')
  if (slash === -1) return '.'
  if (slash === 0) return '/'
  return trimmed.slice(0, slash).replace(/\/+$/, '') || '/'
}
