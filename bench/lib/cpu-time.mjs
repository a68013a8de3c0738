// CPU time of a process from /proc/PID/stat (Linux): its own (utime + stime, every thread) and that of
// the children it has reaped (cutime + cstime, which include their own reaped children), in ms.
import fs from 'node:fs'
import { execFileSync } from 'node:child_process'

let tickMs
function clockTickMs() {
  if (tickMs === undefined) {
    let hz = 100
    try {
      hz = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100
    } catch {}
    tickMs = 1000 / hz
  }
  return tickMs
}

/** `{ self, children }` in ms for `pid` ('self' for this process). */
export function cpuOf(pid = 'self') {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
  // The command name (field 2) may hold spaces and parentheses: count fields after its closing one.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  const tick = clockTickMs()
  const at = (n) => Number(fields[n - 3]) * tick
  return { self: at(14) + at(15), children: at(16) + at(17) }
}

/** The CPU used between two cpuOf() readings. */
export const cpuSince = (before, after) => ({ self: after.self - before.self, children: after.children - before.children })
