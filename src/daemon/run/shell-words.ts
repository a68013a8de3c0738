// Shell lines that need no shell: a plain list of words (letters, digits and `_ . / , : @ + - =` inside
// words; no quotes, no `$`, no globbing, no redirection, no separators). policy-exe.ts runs such a line
// as an argv under an executable allowlist; the executor runs it directly as GNU make does, saving the
// start of a shell (2–4 ms a task on the 2-core machines, a third of benchmark 2's slack).

const PLAIN_LINE = /^[A-Za-z0-9_./,:@+=\s-]+$/

/** The words of a shell line that has no shell syntax at all; undefined when it has any. */
export function plainShellWords(line: string): string[] | undefined {
  if (!PLAIN_LINE.test(line)) return undefined
  const words = line.trim().split(/\s+/)
  const first = words[0]
  // `NAME=value cmd` sets the environment for cmd: shell syntax, refused.
  if (first === undefined || first === '' || first.includes('=')) return undefined
  return words
}

// The shell's own words: keywords, and builtins. `echo`, `test`, `kill` or `printf` also exist as
// programs but do not behave like dash's builtins (echo's escapes), so such lines keep their shell.
const SHELL_OWN = new Set(
  (
    'case do done elif else esac fi for if in then until while ' + // keywords
    'break continue eval exec exit export readonly return set shift times trap unset ' + // special builtins
    'alias bg cd command echo false fc fg getopts hash jobs kill local newgrp printf pwd read test true type ' +
    'ulimit umask unalias wait'
  ).split(' '),
)

/**
 * The argv that runs a shell line without a shell, or undefined when the line needs one: shell syntax,
 * several lines, or a first word that is the shell's own.
 */
export function directArgv(line: string): string[] | undefined {
  if (/[\n\r\v\f]/.test(line)) return undefined
  const words = plainShellWords(line)
  if (words === undefined || SHELL_OWN.has(words[0] as string)) return undefined
  return words
}
