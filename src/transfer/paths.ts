// Every path that crosses the wire goes through here, in both directions. A path from a peer is
// untrusted: it must be relative, normalised, and stay inside the folder it is joined to.
import path from 'node:path'
import { ProtocolError, wirePathProblem } from '../protocol/index.js'

/**
 * Checks a wire path and returns it in canonical posix form. Refuses absolute paths, drive letters,
 * backslashes (a Windows separator in disguise), NUL and control characters, empty segments, `.`/`..`.
 */
export function checkWirePath(wirePath: string): string {
  const problem = wirePathProblem(wirePath)
  if (problem !== undefined) throw new ProtocolError('DISTW_ERR_BAD_PATH', `refused path ${JSON.stringify(wirePath)}: ${problem}`)
  return wirePath
}

/** Joins a checked wire path to a root; the result is guaranteed to be inside the root. */
export function resolveInside(root: string, wirePath: string): string {
  const full = path.resolve(root, checkWirePath(wirePath))
  const rel = path.relative(root, full)
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) {
    throw new ProtocolError('DISTW_ERR_BAD_PATH', `refused path ${JSON.stringify(wirePath)}: escapes its folder`)
  }
  return full
}

/** Converts a local relative path to wire form (posix separators). */
export function toWirePath(relative: string): string {
  return relative.split(path.sep).join('/')
}
