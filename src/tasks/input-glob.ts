// What a glob input matches under the submit folder: crawled with wildcards picomatch matches in linear
// time (coarseGlobs), then matched exactly (globMatcher). Symlinks are never crawled through; folders end in "/".
import fs from 'node:fs'
import { glob, type FileSystemAdapter } from 'tinyglobby'
import { coarseGlobs, globMatcher } from '../protocol/index.js'

/** The paths under `cwd` that `entry` matches: files (and symlinks, FIFOs, …) as they are, folders with a trailing "/". */
export async function globMatches(entry: string, cwd: string): Promise<string[]> {
  const exact = globMatcher([entry])
  const crawled = await glob(coarseGlobs(entry), {
    cwd,
    dot: true,
    onlyFiles: false,
    expandDirectories: false,
    // Never crawl through symlinks (one to "/" would walk the whole disk); globFs reports them, and
    // FIFOs, sockets and devices, as files so each is checked by the resolver rather than silently dropped.
    followSymbolicLinks: false,
    fs: globFs,
  })
  return crawled.filter((m) => exact(m.endsWith('/') ? m.slice(0, -1) : m))
}

// For the glob crawler: a directory stays a directory, anything else (symlink, FIFO, socket, device) is
// shown as a file so that it is matched against the pattern and returned, and never followed.
const globFs: FileSystemAdapter = {
  readdir: ((dir: string, _options: unknown, callback: (err: Error | null, entries: unknown[]) => void) => {
    fs.readdir(dir, { withFileTypes: true }, (err, dirents) => {
      if (err) return callback(err, [])
      callback(
        null,
        dirents.map((d) => {
          const isDir = d.isDirectory()
          return { name: d.name, isDirectory: () => isDir, isFile: () => !isDir, isSymbolicLink: () => false }
        }),
      )
    })
  }) as unknown as typeof fs.readdir,
  readdirSync: fs.readdirSync,
  realpath: fs.realpath,
  realpathSync: fs.realpathSync,
  stat: fs.stat,
  statSync: fs.statSync,
}
