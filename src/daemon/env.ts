// A task's environment starts from a fixed, minimal base, never from the daemon's own environment:
// the daemon may hold secrets (DISTW_SECRET) and settings that are not the task's business.

const PASSED = ['PATH', 'HOME', 'USER', 'LOGNAME', 'LANG', 'LC_ALL', 'TZ', 'SYSTEMROOT', 'TEMP', 'TMP'] as const

export function baseEnv(nodeName: string): Record<string, string> {
  const env: Record<string, string> = { DISTW_NODE: nodeName }
  for (const name of PASSED) {
    const value = process.env[name]
    if (value !== undefined) env[name] = value
  }
  env.PATH ??= '/usr/local/bin:/usr/bin:/bin'
  return env
}
