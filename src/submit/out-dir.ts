// `--out DIR` is checked before anything runs: a folder, or one that can be made, where a file can be
// written. Otherwise each returned file failed only when it arrived, was taken for the node's fault
// (node lost, the task re-run three times), and under /proc the batch spun without end: Node's
// recursive mkdir loops forever where mkdir says ENOENT under a parent that exists (/proc/self/x).
import { randomBytes } from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import { UserError } from '../errors.js'

export async function checkOutDir(dir: string): Promise<void> {
  const stat = await fs.stat(dir).catch(() => undefined)
  if (stat && !stat.isDirectory())
    throw new UserError(`--out ${dir} is not a folder`, 'name a folder for the returned files (a missing one is created)')
  const probe = path.join(dir, `.distw-write-check-${randomBytes(4).toString('hex')}`)
  try {
    await makeFolders(dir)
    await (await fs.open(probe, 'wx')).close()
    await fs.rm(probe)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message
    throw new UserError(`cannot write the returned files into --out ${dir} (${code})`, 'name a folder you can write to')
  }
}

// mkdir -p one component at a time, so that an error is an error, not a retry.
async function makeFolders(dir: string): Promise<void> {
  const parent = path.dirname(dir)
  if (parent !== dir && !(await fs.stat(parent).catch(() => undefined))) await makeFolders(parent)
  await fs.mkdir(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'EEXIST') throw error
  })
}
