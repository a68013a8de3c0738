// Environment variables that make a loader, an interpreter or a shell run code the task did not name:
// with one of them, even an allow-listed executable runs anything. Refused unless the node allows them
// by name (--allow-env NAME).

const HIJACKING = new Set([
  'NODE_OPTIONS',
  'NODE_PATH',
  'BASH_ENV',
  'ENV',
  'SHELLOPTS',
  'BASHOPTS',
  'PS4',
  'PROMPT_COMMAND',
  'IFS',
  'CDPATH',
  'GLOBIGNORE',
  'PYTHONSTARTUP',
  'PYTHONPATH',
  'PYTHONHOME',
  'PYTHONINSPECT',
  'PERL5OPT',
  'PERL5LIB',
  'PERLLIB',
  'PERL5DB',
  'RUBYOPT',
  'RUBYLIB',
  'JAVA_TOOL_OPTIONS',
  '_JAVA_OPTIONS',
  'JDK_JAVA_OPTIONS',
  'GCONV_PATH',
  'HOSTALIASES',
  'LOCPATH',
  'NLSPATH',
  'MALLOC_CHECK_',
  'GIT_EXEC_PATH',
  'GIT_SSH_COMMAND',
  'EDITOR',
  'VISUAL',
  'PAGER',
])

/** Whole families: the dynamic loaders (glibc LD_*, macOS DYLD_*) and bash's exported functions. */
const HIJACKING_PREFIXES = ['LD_', 'DYLD_', 'BASH_FUNC_']

export function isHijackingVariable(name: string): boolean {
  const upper = name.toUpperCase()
  return HIJACKING.has(upper) || HIJACKING_PREFIXES.some((prefix) => upper.startsWith(prefix))
}

/** The names in `env` that are refused; empty when the environment is acceptable. */
export function refusedVariables(env: Record<string, string>, allowed: ReadonlySet<string>): string[] {
  return Object.keys(env).filter((name) => isHijackingVariable(name) && !allowed.has(name))
}
