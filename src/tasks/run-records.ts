// How `distw run` turns its input sources into the argument values of each task, as GNU Parallel
// does: records end with a delimiter (a newline, or NUL with -0), a record splits into columns
// (--colsep), linked sources pair record by record, the others combine as every pairing (the first
// varying slowest), and -N puts N argument sets in one task.

/** What `-d`/`--delimiter` means by `\n`, `\t`, `\r`, `\0` and `\\` (a shell passes them as two characters). */
export function unescapeDelimiter(text: string): string {
  return text.replace(/\\([ntr0\\])/g, (_whole, c: string) => ({ n: '\n', t: '\t', r: '\r', '0': '\0', '\\': '\\' })[c] as string)
}

/** The records of `text`: a final delimiter ends the last record, it does not add an empty one. */
export function records(text: string, delimiter: string): string[] {
  if (text === '') return []
  const all = text.split(delimiter)
  if (delimiter === '\n') for (let i = 0; i < all.length; i++) all[i] = (all[i] as string).replace(/\r$/, '')
  if (all[all.length - 1] === '') all.pop()
  return all
}

/** A record's argument values: itself, or its columns with --colsep. */
export const columns = (record: string, colsep: RegExp | undefined): string[] => (colsep === undefined ? [record] : record.split(colsep))

/**
 * Every argument set of the sources (each a list of records, a record a list of values), flattened.
 * `linked[k]` pairs source k with source k − 1: paired sources give as many sets as the shortest of
 * them (`:::+`); with `linkAll` (--link) every source is paired and the shorter ones wrap around to
 * the longest, as GNU Parallel's --link. A generator: a large product is made as it is used.
 */
export function* argumentSets(sources: readonly (readonly string[][])[], linked: readonly boolean[], linkAll = false): Generator<string[]> {
  const groups: (readonly string[][])[][] = []
  sources.forEach((source, k) => {
    if (k > 0 && (linkAll || linked[k])) (groups[groups.length - 1] as (readonly string[][])[]).push(source)
    else groups.push([source])
  })
  const zipped = groups.map((group) => zip(group, linkAll))
  yield* product(zipped)
}

function zip(group: readonly (readonly string[][])[], wrap: boolean): string[][] {
  if (group.length === 1) return group[0] as string[][]
  const lengths = group.map((source) => source.length)
  if (lengths.includes(0)) return []
  const length = wrap ? Math.max(...lengths) : Math.min(...lengths)
  return Array.from({ length }, (_unused, i) => group.flatMap((source) => source[i % source.length] as string[]))
}

function* product(groups: readonly (readonly string[][])[]): Generator<string[]> {
  if (groups.length === 0 || groups.some((g) => g.length === 0)) return
  const index = groups.map(() => 0)
  for (;;) {
    yield groups.flatMap((g, k) => g[index[k] as number] as string[])
    let k = groups.length - 1
    for (; k >= 0; k--) {
      index[k] = (index[k] as number) + 1
      if ((index[k] as number) < (groups[k] as readonly string[][]).length) break
      index[k] = 0
    }
    if (k < 0) return
  }
}

/**
 * `-N n`: n argument sets to a task (the last may have fewer), their values one after the other. A
 * grouper, not a generator, so that a stream can feed it set by set as its records arrive.
 */
export function perTask(n: number): { add: (set: readonly string[]) => string[] | undefined; rest: () => string[] | undefined } {
  let pending: string[] = []
  let count = 0
  return {
    add(set) {
      pending.push(...set)
      if (++count < n) return undefined
      const full = pending
      pending = []
      count = 0
      return full
    },
    rest: () => (count > 0 ? pending : undefined),
  }
}
