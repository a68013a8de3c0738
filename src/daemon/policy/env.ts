// A task's environment starts from a fixed, minimal base, never from the daemon's own environment:
// the daemon may hold secrets (DISTW_SECRET) and settings that are not the task's business. The node's
// owner adds variables of the daemon's environment by name or glob (--pass-env CUDA_HOME, 'CUDA_*'),
// which is also what a task's `requires.env` is answered from.

const PASSED = ['PATH', 'HOME', 'USER', 'LOGNAME', 'LANG', 'LC_ALL', 'TZ', 'SYSTEMROOT', 'TEMP', 'TMP'] as const

/** A --pass-env value: a variable name, with `*` and `?` as wildcards. */
export const PASS_ENV_PATTERN = /^[A-Za-z_*?][A-Za-z0-9_*?]*$/

/**
 * The daemon's own variables: never passed, whatever a pattern matches (`*` included). DISTW_SECRET
 * is the pool's secret; the others are the daemon's settings (DISTW_WORK_DIR…).
 */
function neverPassed(name: string): boolean {
  return name.startsWith('DISTW_')
}

export function baseEnv(nodeName: string, passEnv: readonly string[] = [], from: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const env: Record<string, string> = {}
  const wanted = passEnv.map(globToRegExp)
  for (const [name, value] of Object.entries(from)) {
    if (value === undefined || neverPassed(name) || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) continue
    if ((PASSED as readonly string[]).includes(name) || wanted.some((re) => re.test(name))) env[name] = value
  }
  env.PATH ??= '/usr/local/bin:/usr/bin:/bin'
  env.DISTW_NODE = nodeName
  // Shared by every task that sets no variable of its own: frozen, so the spawn helper's client may
  // keep its JSON text (spawn-helper-client.ts).
  return Object.freeze(env)
}

function globToRegExp(pattern: string): RegExp {
  if (!PASS_ENV_PATTERN.test(pattern)) throw new Error(`--pass-env ${pattern}: a variable name, with * and ? as wildcards`)
  return new RegExp(`^${pattern.replace(/\*/g, '.*').replace(/\?/g, '.')}$`)
}
