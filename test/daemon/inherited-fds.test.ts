// The spawn helper closes descriptors it inherited without close-on-exec (src/daemon/run/inherited-fds.mjs),
// but not V8's own output under `--perf-basic-prof`: closing those gave their numbers to tasks' sockets,
// into which V8 then wrote its log lines.
import { execFile } from 'node:child_process'
import fs from 'node:fs/promises'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { tempDir } from '../helpers/cli.js'

const run = promisify(execFile)
const module = new URL('../../src/daemon/run/inherited-fds.mjs', import.meta.url).href

describe.skipIf(process.platform !== 'linux')('closing inherited descriptors', () => {
  it("keeps V8's log and perf map open", async () => {
    const cwd = await tempDir()
    const script = `import fs from 'node:fs'
      const { closeInheritedFds } = await import(${JSON.stringify(module)})
      closeInheritedFds()
      const open = fs.readdirSync('/proc/self/fd').map((fd) => { try { return fs.readlinkSync('/proc/self/fd/' + fd) } catch { return '' } })
      console.log(JSON.stringify({ pid: process.pid, open }))`
    const { stdout } = await run(process.execPath, ['--perf-basic-prof', '--input-type=module', '-e', script], { cwd })
    const { pid, open } = JSON.parse(stdout) as { pid: number; open: string[] }
    await fs.rm(`/tmp/perf-${pid}.map`, { force: true })
    expect(open.some((link) => link.endsWith(`/perf-${pid}.map`))).toBe(true)
    expect(open.some((link) => link.endsWith('v8.log'))).toBe(true)
  })
})
