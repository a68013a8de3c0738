// Whether this process is the single executable (npm run package) rather than Node running dist/.
import { createRequire } from 'node:module'

// node:sea is missing before Node 20.12: then this cannot be one.
export function runningAsSingleExecutable(): boolean {
  try {
    return (createRequire(import.meta.url)('node:sea') as { isSea(): boolean }).isSea()
  } catch {
    return false
  }
}
