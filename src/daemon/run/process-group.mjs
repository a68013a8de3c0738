// @ts-check
// Signals a task's whole process group (tasks run in groups of their own: see executor.ts). Plain
// JavaScript so that the spawn helper, which Node runs as it is, shares it with the daemon.

/**
 * @param {number | undefined} pid
 * @param {NodeJS.Signals} signal
 */
export function signalGroup(pid, signal) {
  if (pid === undefined) return
  // After every task's exit the group is usually gone already, and the ESRCH error's stack trace cost
  // ~0.2 ms a task in profiles: it is not captured.
  const stackTraceLimit = Error.stackTraceLimit
  Error.stackTraceLimit = 0
  try {
    process.kill(-pid, signal)
  } catch {
    // ESRCH: the group is already gone.
  } finally {
    Error.stackTraceLimit = stackTraceLimit
  }
}
