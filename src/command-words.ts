// `distw run [FLAGS] COMMAND ARGS…`: the flags end where the command begins, as with GNU Parallel and
// xargs, so `distw run gzip -k {}` keeps `-k` for gzip (it is not `--keep-order`).

interface FlagShape {
  type: 'boolean' | 'option'
  char?: string
  charAliases?: readonly string[]
  aliases?: readonly string[]
  allowNo?: boolean
}

/** Splits argv into distw's flags and the command words after them (`--` also ends the flags). */
export function splitAtCommand(argv: readonly string[], flags: Readonly<Record<string, FlagShape>>): { flags: string[]; words: string[] } {
  const byName = new Map<string, FlagShape>()
  const byChar = new Map<string, FlagShape>()
  for (const [name, flag] of Object.entries(flags)) {
    for (const long of [name, ...(flag.aliases ?? [])]) byName.set(long, flag)
    if (flag.allowNo) byName.set(`no-${name}`, { type: 'boolean' })
    for (const char of [flag.char, ...(flag.charAliases ?? [])]) if (char !== undefined) byChar.set(char, flag)
  }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string
    if (arg === '--') return { flags: argv.slice(0, i), words: argv.slice(i + 1) }
    let flag: FlagShape | undefined
    if (arg.startsWith('--')) {
      if (arg.includes('=')) continue
      flag = byName.get(arg.slice(2))
    } else if (arg.startsWith('-') && arg.length > 1) {
      flag = byChar.get(arg[1] as string)
      if (arg.length > 2) continue // `-j4`: the value is attached
    } else return { flags: argv.slice(0, i), words: argv.slice(i) }
    // An unknown flag stays with the flags, for oclif to name; a flag with a value takes the next word.
    if (flag?.type === 'option') i++
  }
  return { flags: [...argv], words: [] }
}
