// --max-task-disk: a task whose working folder grows past the cap is stopped. The folder is measured
// every so often (no OS quota is portable); between two looks a task can overshoot by what it writes
// in that time.
import fs from 'node:fs/promises'
import path from 'node:path'
import type { StopSignal } from './task-stop.js'

export interface DiskGuard {
  /** Aborts when the folder exceeds the cap, or when the outer signal aborts. */
  signal: StopSignal
  /** Set once the cap was exceeded: why the task was stopped. */
  exceeded: string | undefined
  stop(): void
}

export function guardFolder(dir: string, maxBytes: number | undefined, outer: StopSignal, intervalMs = 250): DiskGuard {
  // No cap (the default): nothing to watch, and no controller or listener made per task.
  if (maxBytes === undefined) return { signal: outer, exceeded: undefined, stop: () => {} }
  const controller = new AbortController()
  const onOuter = (): void => controller.abort()
  outer.addEventListener('abort', onOuter, { once: true })
  if (outer.aborted) controller.abort()
  let timer: NodeJS.Timeout | undefined
  let stopped = false
  const guard: DiskGuard = {
    signal: controller.signal,
    exceeded: undefined,
    stop() {
      stopped = true
      clearTimeout(timer)
      outer.removeEventListener('abort', onOuter)
    },
  }
  const look = async (): Promise<void> => {
    const used = await folderBytes(dir)
    if (stopped) return
    if (used > maxBytes) {
      guard.exceeded = `working folder grew past ${maxBytes} bytes (the node's --max-task-disk); the task was stopped`
      controller.abort()
      return
    }
    timer = setTimeout(() => void look(), intervalMs)
  }
  timer = setTimeout(() => void look(), intervalMs)
  return guard
}

/** Bytes a folder takes: the larger of apparent and allocated size per file, links not followed. */
export async function folderBytes(dir: string): Promise<number> {
  let total = 0
  let entries: import('node:fs').Dirent[]
  try {
    entries = await fs.readdir(dir, { withFileTypes: true })
  } catch {
    return 0 // removed or replaced while walking: the next look sees the new state
  }
  for (const entry of entries) {
    const full = path.join(dir, entry.name)
    if (entry.isDirectory()) {
      total += await folderBytes(full)
      continue
    }
    try {
      const stat = await fs.lstat(full)
      total += Math.max(stat.size, stat.blocks * 512)
    } catch {
      // gone already
    }
  }
  return total
}
