// `distw run`'s command words → the command template and its input sources, in the order written:
// `::: A B` (the arguments themselves), `:::: FILE…` (one source a file, its records the arguments;
// `-` is standard input), and GNU Parallel's linked forms `:::+` and `::::+`, which pair a source
// with the one before it instead of combining them.

export type RunSource = ({ kind: 'args'; values: string[] } | { kind: 'file'; path: string }) & {
  /** Paired with the source before it (`:::+`, `::::+`), record by record. */
  linked: boolean
}

export interface RunLine {
  template: string[]
  sources: RunSource[]
}

const SEPARATORS: Record<string, { files: boolean; linked: boolean }> = {
  ':::': { files: false, linked: false },
  ':::+': { files: false, linked: true },
  '::::': { files: true, linked: false },
  '::::+': { files: true, linked: true },
}

/** Splits `CMD ARGS… ::: A B :::+ 1 2 :::: FILE` at its separators. */
export function splitRunLine(words: readonly string[]): RunLine {
  const line: RunLine = { template: [], sources: [] }
  let mode: { files: boolean; linked: boolean } | undefined
  let args: string[] | undefined
  for (const word of words) {
    const separator = SEPARATORS[word]
    if (separator !== undefined) {
      mode = { ...separator }
      args = undefined
      if (!separator.files) {
        args = []
        line.sources.push({ kind: 'args', values: args, linked: separator.linked })
      }
      continue
    }
    if (mode === undefined) line.template.push(word)
    else if (args !== undefined) args.push(word)
    else {
      // `:::: a b`: two sources; `::::+ a b`: a linked to the one before, b a source of its own.
      line.sources.push({ kind: 'file', path: word, linked: mode.linked })
      mode.linked = false
    }
  }
  return line
}
