// Whether ws runs with its native masking helper (bufferutil). Without it, client→server masking in
// JavaScript costs about 4× in throughput, so the daemon logs it and the benchmarks record it.
import { createRequire } from 'node:module'
import path from 'node:path'

/** True when ws's own buffer-util module has picked up bufferutil (checked in ws itself, not guessed). */
export function wsUsesBufferutil(): boolean {
  if (process.env.WS_NO_BUFFER_UTIL) return false
  try {
    // Inside the try: in a bundled single executable import.meta.url and require.resolve may not work.
    const require = createRequire(import.meta.url)
    // ws does not export lib/buffer-util.js; load it by path so it is the same module ws uses.
    const bufferUtil = require(path.join(path.dirname(require.resolve('ws')), 'lib', 'buffer-util.js')) as {
      mask: (...args: unknown[]) => void
    }
    return bufferUtil.mask.toString().includes('bufferUtil.mask')
  } catch {
    return false
  }
}
