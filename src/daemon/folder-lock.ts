// One daemon per work folder and per cache folder: a second one would empty the first's task folders,
// half uploads and lent files as it starts, and evict blobs the first believes it has. A lock file
// holds its owner's pid; one whose process is gone (a daemon killed outright) is taken over.
import fs from 'node:fs/promises'
import path from 'node:path'
import { UserError } from '../errors.js'

const LOCK_FILE = 'daemon.lock'

/** Takes `dir`'s lock (making `dir` if need be); resolves to its release. `what`/`flag` name it in the error. */
export async function lockFolder(dir: string, what: string, flag: string): Promise<() => Promise<void>> {
  await fs.mkdir(dir, { recursive: true })
  const file = path.join(dir, LOCK_FILE)
  const mine = `${process.pid}\n`
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
    const owner = Number((await fs.readFile(file, 'utf8').catch(() => '')).trim())
    if (Number.isInteger(owner) && owner > 0 && (await alive(owner)))
      throw new UserError(
        `${what} ${dir} is in use by another distw daemon (pid ${owner})`,
        `stop that one, or give this one another ${flag}`,
      )
    await fs.rm(file, { force: true })
  }
  throw new UserError(`${what} ${dir} was just taken by another distw daemon`, `stop that one, or give this one another ${flag}`)
}

async function alive(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0)
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM' // alive, and someone else's
  }
  // A daemon killed outright whose parent has not reaped it yet (or an init that never does) is a
  // zombie: it answers signal 0 but holds nothing.
  const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '')
  return !/^\d+ \(.*\) Z/s.test(stat)
}
