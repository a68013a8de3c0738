// Polling helpers for end-to-end tests: wait for a condition with a generous deadline, never a fixed sleep.
import { readFileSync } from 'node:fs'
import fs from 'node:fs/promises'
import path from 'node:path'

export async function until<T>(
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  what: string,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value !== undefined && value !== false) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/** Resolves with `promise`, or rejects saying what did not happen within `ms`. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>(
    (_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms)),
  )
  return Promise.race([promise, late]).finally(() => clearTimeout(timer))
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch {
    return false
  }
  // A killed process whose parent has not reaped it yet still answers signal 0: it is dead all the same.
  try {
    return !/^\d+ \(.*\) Z/s.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))
  } catch {
    return process.platform !== 'linux'
  }
}

/** A pid a task wrote into `file`, once it is there. */
export function pidIn(file: string): Promise<number> {
  return until(async () => Number((await fs.readFile(file, 'utf8').catch(() => '')).trim()) || undefined, `a pid in ${file}`)
}

/** The folder where a daemon started by spawnDaemon keeps its task folders, read from its log. */
export function taskRoot(daemonLog: string): string {
  const workDir = /workDir=(\S+)/.exec(daemonLog)?.[1] ?? ''
  return path.join(workDir.replace(/^"|"$/g, ''), 'tasks')
}
