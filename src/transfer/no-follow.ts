// Creating files under a folder without ever following a symlink below it: a link planted in a parent
// component (by a task, a earlier batch, or anyone sharing the folder) must not carry a write elsewhere.
import fs from 'node:fs/promises'
import path from 'node:path'
import { ProtocolError } from '../protocol/index.js'

/** Creates `dir` and its parents below `root` one at a time; refuses a component that is a link or not a folder. */
export async function mkdirsNoFollow(root: string, dir: string): Promise<void> {
  const rel = path.relative(root, dir)
  if (rel === '') return
  if (rel.startsWith('..') || path.isAbsolute(rel)) throw badPath(dir, 'outside its folder')
  let current = root
  for (const part of rel.split(path.sep)) {
    current = path.join(current, part)
    let stat
    try {
      stat = await fs.lstat(current)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
      await fs.mkdir(current).catch((e: NodeJS.ErrnoException) => {
        if (e.code !== 'EEXIST') throw e
      })
      stat = await fs.lstat(current)
    }
    if (stat.isSymbolicLink()) throw badPath(current, 'a folder on the way is a symbolic link')
    if (!stat.isDirectory()) throw badPath(current, 'a folder on the way is not a folder')
  }
}

/** Makes room for a new regular file at `file`: an old regular file goes; a link, folder or device is refused. */
export async function clearForNewFile(file: string): Promise<void> {
  let stat
  try {
    stat = await fs.lstat(file)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return
    throw error
  }
  if (!stat.isFile()) throw badPath(file, 'something that is not a regular file is already there')
  await fs.unlink(file)
}

function badPath(where: string, why: string): ProtocolError {
  return new ProtocolError('DISTW_ERR_BAD_PATH', `refused to write ${JSON.stringify(where)}: ${why}`)
}
