// Stops child processes the way a user would, then for sure: SIGTERM, and SIGKILL for whoever is still
// there after a grace. A daemon told to stop kills its tasks (TERM, then KILL after 2 s) and removes
// its folders; a SIGKILLed one can do neither, and its tasks, in process groups of their own, would
// outlive the test.
export interface Stoppable {
  kill(signal: NodeJS.Signals): boolean
  finally(f: () => void): Promise<unknown>
}

const STOP_GRACE_MS = 8_000

export async function stopAll(children: Iterable<Stoppable>): Promise<void> {
  const all = [...children]
  for (const child of all) child.kill('SIGTERM')
  const late = setTimeout(() => all.forEach((child) => child.kill('SIGKILL')), STOP_GRACE_MS)
  await Promise.allSettled(all.map((c) => c.finally(() => {})))
  clearTimeout(late)
}
