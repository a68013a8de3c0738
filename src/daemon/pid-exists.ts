// Whether a pid names a process, as far as signal 0 can tell: the liveness check of the work folder's lock
// and of stale node cgroups. A pid reused by another process counts too; each caller says what it does then.

/** True when `pid` exists: signal 0 reaches it, or it exists but is someone else's (EPERM). */
export function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}
