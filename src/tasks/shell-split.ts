// A shell line → its words as sh would see them (quotes removed), with what each word is for: a
// program, an argument, or the target of a redirection. Only for finding the files a line names
// (auto-inputs.ts): a best effort that never runs anything. A word whose value the shell would compute
// ($VAR, `cmd`, globs, ~) is marked not literal (a glob alone is kept as a pattern, which
// auto-inputs.ts expands as sh would), and a here-document ends the scan.

export type WordRole = 'program' | 'argument' | 'read' | 'write'

export interface ShellWord {
  text: string
  role: WordRole
  /** False when the shell would expand it ($, `, unquoted glob characters or a leading ~). */
  literal: boolean
  /**
   * For a word that is not literal only because of unquoted `*`, `?` or `[`: the glob sh would expand,
   * in the syntax of src/protocol/glob.ts (its `{`, `}`, `\\` and a leading `!` escaped, as sh takes
   * them literally). Undefined when a glob character is also quoted (`'*'*`): such a word is left alone.
   */
  pattern?: string
}

const GLOB_CHARS = /[*?[]/

// Words after which a new command starts.
const KEYWORDS = new Set(['if', 'then', 'else', 'elif', 'fi', 'do', 'done', 'while', 'until', '!', '{', '}', 'time'])
const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/

/** The words of `line`; `<`, `<>` and `>>` targets are read, `>` targets are written. */
export function shellWords(line: string): ShellWord[] {
  const words: ShellWord[] = []
  let text = ''
  let started = false
  let literal = true
  let expands = false // $, ` or a leading ~: the shell computes the word
  let glob = '' // the word as a glob: quoted characters escaped
  let quotedGlob = false // a quoted or escaped glob character: not a pattern sh and glob.ts read alike
  let pending: WordRole | undefined // the role of the next word, set by a redirection
  let commandStart = true
  const end = (): void => {
    if (!started) return
    const role: WordRole = pending ?? (commandStart ? 'program' : 'argument')
    if (pending === undefined && commandStart && (KEYWORDS.has(text) || (literal && ASSIGNMENT.test(text)))) {
      // `if`, `!`, `NAME=value`: the command proper comes after.
    } else {
      const pattern = !literal && !expands && !quotedGlob ? glob : undefined
      words.push(pattern === undefined ? { text, role, literal } : { text, role, literal, pattern })
      if (pending === undefined) commandStart = false
      pending = undefined
    }
    text = ''
    started = false
    literal = true
    expands = false
    glob = ''
    quotedGlob = false
  }
  // A character the shell takes as it is (quoted, escaped, or plain): into the word and, escaped, its glob.
  const literally = (ch: string, quoted: boolean): void => {
    text += ch
    glob += /[{}\\]/.test(ch) || (ch === '!' && glob === '') ? `\\${ch}` : ch
    if (quoted && GLOB_CHARS.test(ch)) quotedGlob = true
  }
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string
    if (c === '\\') {
      if (line[i + 1] === '\n') i++
      else if (i + 1 < line.length) {
        literally(line[++i] as string, true)
        started = true
      }
    } else if (c === "'") {
      const close = line.indexOf("'", i + 1)
      if (close === -1) return words // unbalanced: sh would refuse the line
      for (const ch of line.slice(i + 1, close)) literally(ch, true)
      started = true
      i = close
    } else if (c === '"') {
      started = true
      for (i++; i < line.length && line[i] !== '"'; i++) {
        const d = line[i] as string
        if (d === '\\' && '$`"\\\n'.includes(line[i + 1] ?? '')) literally(line[++i] as string, true)
        else {
          if (d === '$' || d === '`') {
            literal = false
            expands = true
          }
          literally(d, true)
        }
      }
      if (i >= line.length) return words
    } else if (c === ' ' || c === '\t') {
      end()
    } else if (c === '\n' || c === ';' || c === '&' || c === '|' || c === '(' || c === ')') {
      end()
      pending = undefined
      commandStart = true
    } else if (c === '<' || c === '>') {
      // `2>err`: the digits before the operator are a file descriptor, not a word.
      if (started && literal && /^\d+$/.test(text)) {
        text = ''
        glob = ''
        started = false
      } else end()
      const next = line[i + 1]
      if (c === '<' && next === '<') return words // a here-document: its body is not words
      if (next === '&') {
        i++
        pending = 'write' // `>&2`, `<&0`: a descriptor, never a file to send
      } else if (c === '>' && next === '>') {
        i++
        pending = 'read' // appending keeps what is there
      } else if (c === '<' && next === '>') {
        i++
        pending = 'read'
      } else {
        if (next === '|') i++
        pending = c === '<' ? 'read' : 'write'
      }
    } else if (c === '#' && !started) {
      return words // a comment
    } else {
      if (c === '$' || c === '`' || (c === '~' && !started)) expands = true
      if (expands || GLOB_CHARS.test(c)) literal = false
      if (GLOB_CHARS.test(c)) {
        text += c
        glob += c
      } else literally(c, false)
      started = true
    }
  }
  end()
  return words
}
