// The glob language of `outputs` (and of `inputs` on the submitting side), matched without
// backtracking: a regex engine (picomatch's) takes time exponential in the number of `*` on names a
// task chooses, which let one `outputs` glob stall a node for every client. Here each `*` or `**`
// resumes only after the last one (the classic greedy wildcard match), so a path of n characters is
// matched in O(n × m) steps for a glob of m, and the bounds below keep m small.
//
// Syntax: `/` separates folders; `**` as a whole segment matches any number of folders (none too);
// `*` any characters but `/`; `?` one character but `/`; `[abc]`, `[a-z]`, `[!a]`/`[^a]` one character
// of (or not of) a set; `{a,b}` alternatives (nested too); `\x` the character x; a leading `!` negates
// the glob. Dotfiles are matched like any name. Anything else is literal (no extglobs `+(…)`, `@(…)`).

/** Longest glob, after `{…}` alternatives are spelled out. */
export const MAX_GLOB_CHARS = 1024
/** Alternatives one glob's `{…}` may spell out to. */
export const MAX_GLOB_ALTERNATIVES = 64
/**
 * All globs of one list (a task's `outputs`) that have a wildcard, spelled out, together: a path is
 * matched against them in at most a few milliseconds (plain names are looked up, and do not count).
 */
export const MAX_GLOBS_TOTAL_CHARS = 2048

type Char = { kind: 'char'; c: string } | { kind: 'any' } | { kind: 'set'; negated: boolean; test: (c: string) => boolean }
type Token = Char | { kind: 'star' }
/** One folder level of a glob: `**`, or the tokens one name must match. */
type Segment = { kind: 'globstar' } | { kind: 'name'; tokens: Token[] }

/** A glob spelled out and split, ready to match. */
interface Compiled {
  negated: boolean
  alternatives: Segment[][]
}

/** What is wrong with a glob (a phrase), or undefined when it can be used. */
export function globProblem(glob: string): string | undefined {
  const expanded = expandBraces(stripNegation(glob).body)
  if (expanded === undefined) return `spells out to more than ${MAX_GLOB_ALTERNATIVES} alternatives with {…}`
  const longest = Math.max(...expanded.map((e) => e.length))
  if (longest > MAX_GLOB_CHARS) return `is longer than ${MAX_GLOB_CHARS} characters (spelled out)`
  return undefined
}

/** What is wrong with a list of globs taken together, or undefined. */
export function globListProblem(globs: readonly string[]): string | undefined {
  let total = 0
  for (const glob of globs) {
    if (!isPlain(glob)) total += (expandBraces(stripNegation(glob).body) ?? []).reduce((sum, e) => sum + e.length, 0)
  }
  return total > MAX_GLOBS_TOTAL_CHARS ? `spell out to more than ${MAX_GLOBS_TOTAL_CHARS} characters together` : undefined
}

/** A test of a path (posix, relative) against any of the globs; throws on a glob globProblem refuses. */
export function globMatcher(globs: readonly string[]): (path: string) => boolean {
  const plain = new Set(globs.filter(isPlain))
  const compiled = globs.filter((g) => !isPlain(g)).map(compile)
  return (path) => {
    if (plain.has(path)) return true
    if (compiled.length === 0) return false
    const names = path.split('/')
    return compiled.some((c) => c.alternatives.some((segments) => matchSegments(segments, names)) !== c.negated)
  }
}

/** A glob with no wildcard, brace, escape or negation: it matches exactly the path it spells. */
function isPlain(glob: string): boolean {
  return !/[*?[{\\]/.test(glob) && !glob.startsWith('!')
}

/**
 * Globs as simple as can be that match at least what `glob` matches: every segment with a wildcard
 * becomes `*` (`**` stays). For a crawler whose own matcher backtracks (tinyglobby's picomatch): its
 * matches are then filtered with globMatcher, and the crawl still skips folders no glob can enter.
 */
export function coarseGlobs(glob: string): string[] {
  const { negated, body } = stripNegation(glob)
  if (negated) return ['**']
  const coarse = (expandBraces(body) ?? ['**']).map((alt) =>
    alt
      .split('/')
      .map((segment) => (segment === '**' ? segment : /[*?[\]{}()!+@\\]/.test(segment) ? '*' : segment))
      .join('/'),
  )
  return [...new Set(coarse)]
}

function compile(glob: string): Compiled {
  const problem = globProblem(glob)
  if (problem !== undefined) throw new Error(`glob ${JSON.stringify(glob)} ${problem}`)
  const { negated, body } = stripNegation(glob)
  const alternatives = (expandBraces(body) ?? []).map((e) => e.split('/').map(parseSegment))
  return { negated, alternatives }
}

function stripNegation(glob: string): { negated: boolean; body: string } {
  return glob.startsWith('!') && glob.length > 1 ? { negated: true, body: glob.slice(1) } : { negated: false, body: glob }
}

// `{a,b}c` → ["ac", "bc"], innermost-last; undefined past MAX_GLOB_ALTERNATIVES. An unbalanced or
// comma-less `{` is literal. Escaped characters keep their backslash (parseSegment reads it).
function expandBraces(glob: string): string[] | undefined {
  const open = findBrace(glob)
  if (open === undefined) return [glob]
  const { start, end, parts } = open
  const out: string[] = []
  for (const part of parts) {
    const rest = expandBraces(glob.slice(0, start) + part + glob.slice(end + 1))
    if (rest === undefined || out.length + rest.length > MAX_GLOB_ALTERNATIVES) return undefined
    out.push(...rest)
  }
  return out
}

// The first `{…}` that holds a top-level comma, with its parts.
function findBrace(glob: string): { start: number; end: number; parts: string[] } | undefined {
  for (let start = 0; start < glob.length; start++) {
    if (glob[start] === '\\') {
      start++
      continue
    }
    if (glob[start] !== '{') continue
    let depth = 0
    let from = start + 1
    const parts: string[] = []
    for (let i = start; i < glob.length; i++) {
      const c = glob[i]
      if (c === '\\') i++
      else if (c === '{') depth++
      else if (c === '}' && --depth === 0) {
        parts.push(glob.slice(from, i))
        if (parts.length > 1) return { start, end: i, parts }
        break
      } else if (c === ',' && depth === 1) {
        parts.push(glob.slice(from, i))
        from = i + 1
      }
    }
  }
  return undefined
}

function parseSegment(segment: string): Segment {
  if (segment === '**') return { kind: 'globstar' }
  const tokens: Token[] = []
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i] as string
    if (c === '*') {
      if (tokens.at(-1)?.kind !== 'star') tokens.push({ kind: 'star' })
    } else if (c === '?') tokens.push({ kind: 'any' })
    else if (c === '\\' && i + 1 < segment.length) tokens.push({ kind: 'char', c: segment[++i] as string })
    else if (c === '[') {
      const set = parseSet(segment, i)
      if (set) {
        tokens.push(set.token)
        i = set.end
      } else tokens.push({ kind: 'char', c })
    } else tokens.push({ kind: 'char', c })
  }
  return { kind: 'name', tokens }
}

// `[…]` starting at `open`: the token and the index of its `]`, or undefined when unclosed (then literal).
function parseSet(segment: string, open: number): { token: Char; end: number } | undefined {
  let i = open + 1
  const negated = segment[i] === '!' || segment[i] === '^'
  if (negated) i++
  const ranges: [string, string][] = []
  const first = i
  for (; i < segment.length; i++) {
    let c = segment[i] as string
    if (c === ']' && i > first) {
      const test = (ch: string): boolean => ranges.some(([lo, hi]) => ch >= lo && ch <= hi)
      return { token: { kind: 'set', negated, test }, end: i }
    }
    if (c === '\\' && i + 1 < segment.length) c = segment[++i] as string
    if (segment[i + 1] === '-' && i + 2 < segment.length && segment[i + 2] !== ']') {
      let hi = segment[i + 2] as string
      i += 2
      if (hi === '\\' && i + 1 < segment.length) hi = segment[++i] as string
      ranges.push([c, hi])
    } else ranges.push([c, c])
  }
  return undefined
}

function matchChar(token: Char, c: string): boolean {
  if (token.kind === 'char') return token.c === c
  if (token.kind === 'any') return true
  return token.test(c) !== token.negated
}

// Greedy wildcard match of items against atoms, where a "star" atom matches any run of items and every
// other atom exactly one: on a mismatch only the last star takes one more item. Linear in the items for
// each atom, never exponential.
function greedy<A>(atoms: readonly A[], items: number, isStar: (a: A) => boolean, one: (a: A, i: number) => boolean): boolean {
  let a = 0
  let i = 0
  let starA = -1
  let starI = 0
  while (i < items) {
    const atom = atoms[a]
    if (atom !== undefined && isStar(atom)) {
      starA = a++
      starI = i
    } else if (atom !== undefined && one(atom, i)) {
      a++
      i++
    } else if (starA >= 0) {
      a = starA + 1
      i = ++starI
    } else return false
  }
  while (a < atoms.length && isStar(atoms[a] as A)) a++
  return a === atoms.length
}

function matchName(tokens: readonly Token[], name: string): boolean {
  return greedy(
    tokens,
    name.length,
    (t) => t.kind === 'star',
    (t, i) => matchChar(t as Char, name[i] as string),
  )
}

function matchSegments(segments: readonly Segment[], names: readonly string[]): boolean {
  return greedy(
    segments,
    names.length,
    (s) => s.kind === 'globstar',
    (s, i) => s.kind === 'name' && matchName(s.tokens, names[i] as string),
  )
}
