// One daemon per work folder and per cache folder: a second one would empty the first's task folders,
// half uploads and lent files as it starts, and evict blobs the first believes it has. A lock file
// holds its owner's pid (and, on Linux, the boot and the process's start time, so that a pid reused
// after a reboot is not taken for the owner); one whose process is gone is taken over.
import fs from 'node:fs/promises'
import path from 'node:path'
import { UserError } from '../errors.js'
import { pidExists } from './pid-exists.js'

const LOCK_FILE = 'daemon.lock'

/** Takes `dir`'s lock (making `dir` if need be); resolves to its release. `what`/`flag` name it in the error. */
export async function lockFolder(dir: string, what: string, flag: string): Promise<() => Promise<void>> {
  await fs.mkdir(dir, { recursive: true })
  const file = path.join(dir, LOCK_FILE)
  const mine = `${process.pid} ${(await identity(process.pid)) ?? ''}\n`
  // Twice at most: a stale lock is removed once, and a daemon that takes it in between wins.
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await fs.writeFile(file, mine, { flag: 'wx', mode: 0o600 })
      return async () => {
        if ((await fs.readFile(file, 'utf8').catch(() => '')) === mine) await fs.rm(file, { force: true })
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    }
    const [pid, recorded = ''] = (await fs.readFile(file, 'utf8').catch(() => '')).trim().split(' ')
    const owner = Number(pid)
    if (Number.isInteger(owner) && owner > 0 && (await holds(owner, recorded)))
      throw new UserError(
        `${what} ${dir} is in use by another distw daemon (pid ${owner})`,
        `stop that one, or give this one another ${flag}`,
      )
    await fs.rm(file, { force: true })
  }
  throw new UserError(`${what} ${dir} was just taken by another distw daemon`, `stop that one, or give this one another ${flag}`)
}

// Whether process `pid` is still the one that wrote the lock.
async function holds(pid: number, recorded: string): Promise<boolean> {
  if (!pidExists(pid)) return false
  if (recorded === '') return true
  // A zombie (killed outright, not reaped yet: this machine's init never reaps) holds nothing.
  const now = await identity(pid)
  return now === recorded
}

/** Linux: `bootId:startTime` of a live, non-zombie process; undefined elsewhere or when it is gone. */
async function identity(pid: number): Promise<string | undefined> {
  const [boot, stat] = await Promise.all([
    fs.readFile('/proc/sys/kernel/random/boot_id', 'utf8').catch(() => undefined),
    fs.readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined),
  ])
  if (boot === undefined || stat === undefined) return undefined
  // "pid (comm) state ppid …": comm may hold spaces and parentheses; the fields after it do not.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  if (fields[0] === 'Z') return undefined
  return `${boot.trim()}:${fields[19] ?? ''}`
}
