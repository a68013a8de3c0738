// The checks and words of input resolution (input-resolver.ts): a path normalised, inside the submit
// folder or not, what kind of thing a non-file is, an fs error in words, and which entry a problem is of.
import type { Dirent, Stats } from 'node:fs'
import path from 'node:path'

export const ONLY_FILES = 'only regular files, folders and symlinks to them can be inputs'

// "./a//b/" → "a/b"; "." stays "."; backslashes are left alone (a legal file-name character on posix).
export function normalise(p: string): string {
  const n = path.posix.normalize(p)
  return n.length > 1 && n.endsWith('/') ? n.slice(0, -1) : n
}

export function isInside(root: string, candidate: string): boolean {
  const rel = path.relative(root, candidate)
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel))
}

export function where(entry: string, rel: string): string {
  return normalise(entry) === rel ? `input ${JSON.stringify(entry)}` : `input ${JSON.stringify(entry)}: "${rel}"`
}

// What a thing that is neither a file, a folder nor a symlink is (from its lstat, or its directory entry).
export function kindOf(st: Stats | Dirent): string {
  if (st.isFIFO()) return 'a FIFO (named pipe)'
  if (st.isSocket()) return 'a socket'
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device'
  return 'not a regular file'
}

export function isNotFound(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code
  return code === 'ENOENT' || code === 'ENOTDIR'
}

export function describeFsError(err: unknown): string {
  const e = err as NodeJS.ErrnoException
  switch (e.code) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied'
    case 'ENOENT':
      return 'not found'
    case 'ENOTDIR':
      return 'a part of the path is not a folder'
    default:
      return e.code ? `${e.code}: ${e.message}` : String(e.message ?? err)
  }
}
