// Memory of another process from /proc/PID/status (Linux): current (VmRSS) and peak (VmHWM) resident set.
import fs from 'node:fs/promises'

export interface Memory {
  rssBytes: number
  peakBytes: number
}

export async function processMemory(pid: number): Promise<Memory> {
  const status = await fs.readFile(`/proc/${pid}/status`, 'utf8')
  const kib = (field: string): number => {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)
    if (!match) throw new Error(`no ${field} in /proc/${pid}/status`)
    return Number(match[1]) * 1024
  }
  return { rssBytes: kib('VmRSS'), peakBytes: kib('VmHWM') }
}
