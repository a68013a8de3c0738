// A shell line → its words as sh would see them (quotes removed), with what each word is for: a
// program, an argument, or the target of a redirection. Only for finding the files a line names
// (auto-inputs.ts): a best effort that never runs anything. A word whose value the shell would compute
// ($VAR, `cmd`, globs, ~) is marked not literal, and a here-document ends the scan.

export type WordRole = 'program' | 'argument' | 'read' | 'write'

export interface ShellWord {
  text: string
  role: WordRole
  /** False when the shell would expand it ($, `, unquoted glob characters or a leading ~). */
  literal: boolean
}

// Words after which a new command starts.
const KEYWORDS = new Set(['if', 'then', 'else', 'elif', 'fi', 'do', 'done', 'while', 'until', '!', '{', '}', 'time'])
const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/

/** The words of `line`; `<`, `<>` and `>>` targets are read, `>` targets are written. */
export function shellWords(line: string): ShellWord[] {
  const words: ShellWord[] = []
  let text = ''
  let started = false
  let literal = true
  let pending: WordRole | undefined // the role of the next word, set by a redirection
  let commandStart = true
  const end = (): void => {
    if (!started) return
    const role: WordRole = pending ?? (commandStart ? 'program' : 'argument')
    if (pending === undefined && commandStart && (KEYWORDS.has(text) || (literal && ASSIGNMENT.test(text)))) {
      // `if`, `!`, `NAME=value`: the command proper comes after.
    } else {
      words.push({ text, role, literal })
      if (pending === undefined) commandStart = false
      pending = undefined
    }
    text = ''
    started = false
    literal = true
  }
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string
    if (c === '\\') {
      if (line[i + 1] === '\n') i++
      else if (i + 1 < line.length) {
        text += line[++i]
        started = true
      }
    } else if (c === "'") {
      const close = line.indexOf("'", i + 1)
      if (close === -1) return words // unbalanced: sh would refuse the line
      text += line.slice(i + 1, close)
      started = true
      i = close
    } else if (c === '"') {
      started = true
      for (i++; i < line.length && line[i] !== '"'; i++) {
        const d = line[i] as string
        if (d === '\\' && '$`"\\\n'.includes(line[i + 1] ?? '')) text += line[++i]
        else {
          if (d === '$' || d === '`') literal = false
          text += d
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
      if (c === '$' || c === '`' || c === '*' || c === '?' || c === '[' || (c === '~' && !started)) literal = false
      text += c
      started = true
    }
  }
  end()
  return words
}
