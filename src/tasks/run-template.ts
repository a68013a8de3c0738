// `distw run`'s GNU Parallel form: a command template and a task's argument values → its shell line.
// `gzip -k {} ::: a.txt b.txt` → `gzip -k a.txt`, `gzip -k b.txt`. Each substituted argument is
// shell-quoted, so a file named `a b;rm -rf x.txt` is one argument, never code. The template itself
// is shell code, as in GNU Parallel: its words are joined with spaces, unquoted.
import { shellQuote } from './shell-quote.js'

// `{}`, `{.}`, `{/}`, `{//}`, `{/.}`, `{#}`, `{%}`, and positional `{2}`, `{2.}`, `{2/}`… (GNU Parallel's).
const REPLACEMENT = /\{(\d*)(\.|\/\/|\/\.|\/|#|%)?\}/g

export function hasReplacement(template: readonly string[]): boolean {
  return template.some((word) => new RegExp(REPLACEMENT.source).test(word))
}

/** The highest positional replacement (`{3}`, `{3.}` …) the template names; 0 if none. */
export function highestPosition(template: readonly string[]): number {
  let highest = 0
  for (const word of template) for (const match of word.matchAll(REPLACEMENT)) highest = Math.max(highest, Number(match[1] || 0))
  return highest
}

/** `-I STR` (xargs, GNU Parallel): STR stands where `{}` would. */
export const withReplaceString = (template: readonly string[], replace: string): string[] =>
  template.map((word) => word.split(replace).join('{}'))

/**
 * The shell line of task number `seq` (1-based) with argument values `values`. `slots` is what `{%}`
 * cycles through (the `-j` value): tasks take slot numbers in turn, 1…slots. A position past the
 * values (the last task of -N, a short --colsep record) is empty with `emptyMissing`.
 */
export function expandTemplate(
  template: readonly string[],
  values: readonly string[],
  seq: number,
  slots = 1,
  emptyMissing = false,
): string {
  const words = hasReplacement(template) ? template : [...template, '{}']
  return words
    .map((word) =>
      word.replace(REPLACEMENT, (whole, position: string, kind: string | undefined) => {
        if (kind === '#') return position === '' ? String(seq) : whole
        if (kind === '%') return position === '' ? String(((seq - 1) % Math.max(1, slots)) + 1) : whole
        if (position !== '') {
          const value = values[Number(position) - 1]
          if (value === undefined) return emptyMissing ? "''" : whole
          return shellQuote(transform(value, kind))
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
