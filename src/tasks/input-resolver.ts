// Resolves input entries against one submit folder: a path taken literally when it exists, else a
// glob; a folder walked (symlinked folders inside followed, loops refused); a symlink followed only to
// where it stays inside. Each distinct entry is resolved once per folder, whatever number of tasks name it.
import type { Dirent, Stats } from 'node:fs'
import { lstat, readdir, realpath, stat } from 'node:fs/promises'
import path from 'node:path'
import { isDynamicPattern } from 'tinyglobby'
import { UserError } from '../errors.js'
import { wirePathProblem } from '../protocol/index.js'
import { describeFsError, isInside, isNotFound, kindOf, normalise, ONLY_FILES, where } from './input-checks.js'
import { globMatches } from './input-glob.js'
import { patternProblem } from './patterns.js'
import type { TaskSpec } from './spec.js'

export interface ResolvedInput {
  /** Relative to the submit folder, posix separators, normalised; for a symlink, the link's own path. */
  path: string
  /** Where to read the content: for a symlink, its (real) target. */
  absPath: string
  size: number
  /** Permission bits only (mode & 0o777). */
  mode: number
  /** mtime, ctime and inode, with size, let a hash cache skip files that have not changed. */
  mtimeMs: number
  ctimeMs: number
  ino: number
}

export interface EntryResult {
  files: ResolvedInput[]
  problems: string[]
}

/** How many tasks, and how many files of one folder, are looked at concurrently. */
export const CONCURRENCY = 16

/**
 * A bound on the files one folder input may expand to. Symlinked folders are followed, so a few links
 * to each other's parents can multiply a small tree without making a loop.
 */
export const MAX_FILES_PER_INPUT = 1_000_000

export class Resolver {
  // One promise per distinct entry and per folder, so 10,000 tasks naming "render" stat it once.
  private readonly entries = new Map<string, Promise<EntryResult>>()
  private readonly realDirs = new Map<string, Promise<string>>()

  private constructor(
    private readonly baseDir: string,
    private readonly realBase: string,
  ) {}

  static async open(baseDir: string): Promise<Resolver> {
    const abs = path.resolve(baseDir)
    try {
      return new Resolver(abs, await realpath(abs))
    } catch (err) {
      throw new UserError(`cannot read the submit folder "${abs}": ${describeFsError(err)}`)
    }
  }

  async task(task: Pick<TaskSpec, 'inputs'>): Promise<EntryResult> {
    const byPath = new Map<string, ResolvedInput>()
    const problems: string[] = []
    const results = await Promise.all(task.inputs.map((entry) => this.entry(entry)))
    for (const r of results) {
      for (const f of r.files) if (!byPath.has(f.path)) byPath.set(f.path, f)
      for (const p of r.problems) if (!problems.includes(p)) problems.push(p)
    }
    const files = [...byPath.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
    return { files, problems }
  }

  private entry(entry: string): Promise<EntryResult> {
    let result = this.entries.get(entry)
    if (!result) {
      result = this.resolveEntry(entry)
      this.entries.set(entry, result)
    }
    return result
  }

  private async resolveEntry(entry: string): Promise<EntryResult> {
    const out: EntryResult = { files: [], problems: [] }
    const problem = patternProblem(entry)
    if (problem) {
      out.problems.push(`input ${JSON.stringify(entry)} ${problem}`)
      return out
    }
    // A path that exists is taken literally, even when it looks like a glob ("frame[1].png").
    const rel = normalise(entry)
    const abs = path.join(this.baseDir, rel)
    let st: Stats
    try {
      st = await lstat(abs)
    } catch (err) {
      if (!isNotFound(err)) out.problems.push(`input ${JSON.stringify(entry)}: ${describeFsError(err)}`)
      else if (isDynamicPattern(entry)) await this.globEntry(entry, out)
      else out.problems.push(`input ${JSON.stringify(entry)} not found`)
      return out
    }
    try {
      await this.addPath(entry, rel, abs, st, out)
    } catch (err) {
      // Only a race (a file removed or changed while being looked at) gets here.
      out.problems.push(`input ${JSON.stringify(entry)}: ${describeFsError(err)}`)
    }
    if (out.files.length === 0 && out.problems.length === 0) {
      out.problems.push(`input ${JSON.stringify(entry)} is a folder with no files in it`)
    }
    return out
  }

  private async globEntry(entry: string, out: EntryResult): Promise<void> {
    let matches: string[]
    try {
      matches = await globMatches(entry, this.baseDir)
    } catch (err) {
      out.problems.push(`input ${JSON.stringify(entry)}: ${describeFsError(err)}`)
      return
    }
    // Matched folders are taken whole, like `cp -r data/*`; a folder inside another matched one is covered.
    const dirs = matches.filter((m) => m.endsWith('/')).map((m) => normalise(m))
    dirs.sort()
    const taken = new Set<string>()
    const isCovered = (rel: string): boolean => {
      if (taken.has('.')) return true
      for (let i = rel.indexOf('/'); i !== -1; i = rel.indexOf('/', i + 1)) if (taken.has(rel.slice(0, i))) return true
      return false
    }
    const paths = [...dirs.filter((d) => !isCovered(d) && taken.add(d)), ...matches.filter((m) => !m.endsWith('/'))]
    await forEachLimit(paths, CONCURRENCY, async (match) => {
      const rel = normalise(match)
      if (isCovered(rel)) return
      const abs = path.join(this.baseDir, rel)
      try {
        await this.addPath(entry, rel, abs, await lstat(abs), out)
      } catch (err) {
        out.problems.push(`${where(entry, rel)}: ${describeFsError(err)}`)
      }
    })
    if (out.files.length === 0 && out.problems.length === 0) out.problems.push(`input ${JSON.stringify(entry)} matches no file`)
  }

  // Adds what `rel` names (a file, a folder's files, or a symlink's target) to `out`, given its lstat.
  private async addPath(entry: string, rel: string, abs: string, st: Stats, out: EntryResult): Promise<void> {
    if (st.isSymbolicLink()) {
      const link = await this.followLink(entry, rel, abs, out)
      if (link === undefined) return
      const { target, st: targetStat } = link
      if (targetStat.isFile()) addFile(out, entry, rel, target, targetStat)
      else if (targetStat.isDirectory()) await this.walk(entry, rel, target, out)
      else out.problems.push(`${where(entry, rel)} is a symlink to ${kindOf(targetStat)}; ${ONLY_FILES}`)
      return
    }
    if (st.isFile()) {
      // The file itself is no link, but a folder on its way may be: check where it really is.
      const realParent = await this.realDir(path.dirname(abs))
      if (!isInside(this.realBase, path.join(realParent, path.basename(abs)))) {
        out.problems.push(`${where(entry, rel)} is outside the submit folder (through a symlinked folder)`)
      } else addFile(out, entry, rel, abs, st)
      return
    }
    if (st.isDirectory()) {
      const real = await this.realDir(abs)
      if (!isInside(this.realBase, real)) {
        out.problems.push(`${where(entry, rel)} is outside the submit folder (through a symlinked folder)`)
      } else await this.walk(entry, rel, real, out)
      return
    }
    out.problems.push(`${where(entry, rel)} is ${kindOf(st)}; ${ONLY_FILES}`)
  }

  // The real path of a symlink's target and its stat, when it exists and stays inside the submit folder.
  private async followLink(entry: string, rel: string, abs: string, out: EntryResult): Promise<{ target: string; st: Stats } | undefined> {
    let target: string
    try {
      target = await realpath(abs)
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      out.problems.push(
        code === 'ENOENT'
          ? `${where(entry, rel)} is a broken symlink (its target does not exist)`
          : code === 'ELOOP'
            ? `${where(entry, rel)} is a symlink loop`
            : `${where(entry, rel)}: ${describeFsError(err)}`,
      )
      return undefined
    }
    if (!isInside(this.realBase, target)) {
      out.problems.push(`${where(entry, rel)} is a symlink to "${target}", outside the submit folder; copy the file in instead`)
      return undefined
    }
    try {
      return { target, st: await stat(target) }
    } catch (err) {
      out.problems.push(`${where(entry, rel)}: ${describeFsError(err)}`)
      return undefined
    }
  }

  // Every file under a folder, reported under `relRoot`; `realRoot` is where it really is. Symlinked
  // folders inside the submit folder are followed, unless they lead back into the folder being walked.
  private async walk(entry: string, relRoot: string, realRoot: string, out: EntryResult): Promise<void> {
    const pending: { rel: string; real: string; chain: string[] }[] = [{ rel: relRoot, real: realRoot, chain: [realRoot] }]
    for (let dir = pending.pop(); dir; dir = pending.pop()) {
      if (out.files.length > MAX_FILES_PER_INPUT) {
        out.problems.push(`input ${JSON.stringify(entry)} has more than ${MAX_FILES_PER_INPUT.toLocaleString('en')} files`)
        return
      }
      let dirents: Dirent[]
      try {
        dirents = await readdir(dir.real, { withFileTypes: true })
      } catch (err) {
        out.problems.push(`${where(entry, dir.rel)}: ${describeFsError(err)}`)
        continue
      }
      const { rel, real, chain } = dir
      await forEachLimit(dirents, CONCURRENCY, async (d) => {
        const childRel = rel === '.' ? d.name : `${rel}/${d.name}`
        const childReal = path.join(real, d.name)
        if (d.isDirectory()) {
          pending.push({ rel: childRel, real: childReal, chain: [...chain, childReal] })
        } else if (d.isFile()) {
          try {
            addFile(out, entry, childRel, childReal, await stat(childReal))
          } catch (err) {
            out.problems.push(`${where(entry, childRel)}: ${describeFsError(err)}`)
          }
        } else if (d.isSymbolicLink()) {
          const link = await this.followLink(entry, childRel, childReal, out)
          if (link === undefined) return
          const { target, st } = link
          if (st.isFile()) addFile(out, entry, childRel, target, st)
          else if (!st.isDirectory()) out.problems.push(`${where(entry, childRel)} is a symlink to ${kindOf(st)}; ${ONLY_FILES}`)
          else if (chain.some((c) => c === target || c.startsWith(target + path.sep))) {
            out.problems.push(`${where(entry, childRel)} is a symlink back into a folder that contains it (a loop)`)
          } else pending.push({ rel: childRel, real: target, chain: [...chain, target] })
        } else {
          out.problems.push(`${where(entry, childRel)} is ${kindOf(d)}; ${ONLY_FILES}`)
        }
      })
    }
  }

  private realDir(abs: string): Promise<string> {
    let real = this.realDirs.get(abs)
    if (!real) {
      real = realpath(abs)
      this.realDirs.set(abs, real)
    }
    return real
  }
}

// A file whose name cannot cross the wire (a newline or another control character, a backslash) is a
// problem of its task, said before anything is sent: sent, the node would refuse the frame and close
// the connection, and the submitter would take that for a lost node.
function addFile(out: EntryResult, entry: string, rel: string, absPath: string, st: Stats): void {
  const problem = wirePathProblem(rel)
  if (problem !== undefined) {
    const what = problem === 'backslash' ? 'a backslash' : 'a control character (a newline, a tab…)'
    out.problems.push(`${where(entry, rel)}: its name has ${what}, which distw cannot send; rename it`)
    return
  }
  out.files.push({ path: rel, absPath, size: st.size, mode: st.mode & 0o777, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, ino: st.ino })
}

// Runs fn over items with at most `limit` calls in flight.
export async function forEachLimit<T>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++
      await fn(items[i] as T, i)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
}
