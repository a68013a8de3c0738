// Checks on `inputs` and `outputs` entries that need no file system: both are relative to a folder
// (the submit folder for inputs, the task's working folder for outputs) and must stay inside it.
import path from 'node:path'
import { globProblem } from '../protocol/index.js'

/**
 * Returns what is wrong with an input path/glob or an output glob, as a phrase to follow the quoted
 * pattern (`"/etc" is absolute; …`), or undefined when it is acceptable.
 */
export function patternProblem(pattern: string): string | undefined {
  if (pattern === '') return 'is empty'
  if (pattern.includes('\0')) return 'contains a NUL character'
  if (pattern.startsWith('/') || pattern.startsWith('\\') || /^[A-Za-z]:/.test(pattern)) {
    return 'is absolute; write it relative to the folder you submit from'
  }
  if (pattern === '~' || pattern.startsWith('~/')) {
    return 'starts with "~", which is not expanded; write it relative to the folder you submit from'
  }
  if (escapesFolder(pattern)) return 'leaves the folder with ".."; only files inside it can be used'
  return globProblem(pattern)
}

/** True when a relative path climbs above its folder, e.g. "../x" or "a/../../x". */
export function escapesFolder(relative: string): boolean {
  const n = path.posix.normalize(relative)
  return n === '..' || n.startsWith('../')
}
