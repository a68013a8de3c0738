// @ts-check
// File descriptors the daemon inherited without close-on-exec, from whatever started it (a job
// runner's pipe, a terminal multiplexer's socket: one was seen on descriptor 251), would be passed on
// to every task: Node's spawn closes only what is marked close-on-exec, and all of Node's own
// descriptors are. The spawn helper closes the others before it starts any task, except V8's own
// output: with `--perf-basic-prof` V8 writes its log and /tmp/perf-PID.map through descriptors
// without close-on-exec; closed, their numbers went to a task's sockets, V8 wrote its lines into them,
// and the helper crashed on the ECONNRESET or a held shell ran them as commands. (Tasks started while
// profiling so inherit them.)
import fs from 'node:fs'

const O_CLOEXEC = 0o2000000

/** What V8 writes to while it runs: its log (isolate-…-v8.log), perf's map and jitdump. */
const V8_OUTPUT = /(\/perf-\d+\.map|\/jit-\d+\.dump|v8\.log)$/

/**
 * Closes this process's descriptors above 2 that lack close-on-exec, except `keep` (the channel to the
 * daemon: Node marks it close-on-exec once it opens it). Linux only.
 * @param {number[]} keep
 */
export function closeInheritedFds(keep = []) {
  const kept = new Set([0, 1, 2, ...keep])
  let fds
  try {
    fds = fs.readdirSync('/proc/self/fd').map(Number)
  } catch {
    return // not Linux: left as they are (docs/PROTOCOL.md §5)
  }
  for (const fd of fds) {
    if (kept.has(fd)) continue
    try {
      if (V8_OUTPUT.test(fs.readlinkSync(`/proc/self/fd/${fd}`))) continue
      const flags = /^flags:\s+([0-7]+)/m.exec(fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))?.[1]
      if (flags !== undefined && (parseInt(flags, 8) & O_CLOEXEC) === 0) fs.closeSync(fd)
    } catch {
      // gone already (the readdir's own descriptor), or not ours to read
    }
  }
}
