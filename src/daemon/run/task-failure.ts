// Turning what went wrong around a task into a status its submitter can act on: above all, a full disk
// on the node says so instead of surfacing as a bare errno.
import fs from 'node:fs/promises'

/** The message for a task that could not be set up. */
export function describeSetupError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return `the node's disk is full (${code}) while preparing the task folder: free space on the node, or send smaller inputs`
  }
  return (error as Error).message
}

/** When a task failed and the disk under its folder is now full, a note saying that is the likely cause. */
export async function diskFullNote(dir: string): Promise<string | undefined> {
  try {
    const stats = await fs.statfs(dir)
    if (stats.bavail > 0) return undefined
  } catch {
    return undefined
  }
  return "the node's disk filled up while the task ran (no space left); the task failed: free space on the node"
}
