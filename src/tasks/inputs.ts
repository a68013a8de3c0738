// A task's `inputs` entries → the regular files they name, checked against the submit folder: nothing
// outside it (absolute paths, `..`, symlinks leading out) and nothing that is not a regular file.
import fs, { type Dirent, type Stats } from 'node:fs'
import { lstat, readdir, realpath, stat } from 'node:fs/promises'
import path from 'node:path'
import { glob, isDynamicPattern, type FileSystemAdapter } from 'tinyglobby'
import { coarseGlobs, globMatcher } from '../protocol/index.js'
import { UserError } from '../errors.js'
import { patternProblem } from './patterns.js'
import type { TaskSpec } from './spec.js'
import { TaskFileError, type TaskProblem } from './task-file-error.js'

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

const HINT =
  'Inputs are files, folders or globs relative to the folder you submit from; symlinks may only point ' +
  'inside it, and FIFOs, sockets and devices cannot be sent.'

/** How many tasks, and how many files of one folder, are looked at concurrently. */
const CONCURRENCY = 16

/**
 * A bound on the files one folder input may expand to. Symlinked folders are followed, so a few links
 * to each other's parents can multiply a small tree without making a loop.
 */
export const MAX_FILES_PER_INPUT = 1_000_000

/** Resolves one task's inputs; throws a UserError listing every input that is missing or refused. */
export async function resolveInputs(task: TaskSpec, baseDir: string): Promise<ResolvedInput[]> {
  const resolver = await Resolver.open(baseDir)
  const { files, problems } = await resolver.task(task)
  if (problems.length > 0) {
    throw new UserError(problems.map((p) => `${task.name} (line ${task.line}): ${p}`).join('\n'), HINT)
  }
  return files
}

/**
 * Resolves the inputs of every task (keyed by task name), sharing the work between tasks that name the
 * same inputs. Throws one TaskFileError listing every problem of every task.
 */
export async function resolveAllInputs(tasks: TaskSpec[], baseDir: string, source: string): Promise<Map<string, ResolvedInput[]>> {
  const results = await resolveEach(tasks, baseDir)
  const byName = new Map<string, ResolvedInput[]>()
  const problems: TaskProblem[] = []
  tasks.forEach((task, i) => {
    const r = results[i]
    if (!r) return
    byName.set(task.name, r.files)
    for (const p of r.problems) problems.push({ line: task.line, message: `${task.name}: ${p}` })
  })
  if (problems.length > 0) throw new TaskFileError(source, problems, HINT)
  return byName
}

/** Each task's inputs and problems, in the order of `tasks` (a stream judges its lines one by one). */
export async function resolveEach(tasks: readonly TaskSpec[], baseDir: string): Promise<EntryResult[]> {
  const resolver = await Resolver.open(baseDir)
  const results = new Array<EntryResult>(tasks.length)
  await forEachLimit(tasks, CONCURRENCY, async (task, i) => {
    results[i] = await resolver.task(task)
  })
  return results
}

/**
 * Resolves `entries` (a task's inputs, when its dependencies have run), each against the first of
 * `baseDirs` where it names something: a dependency's `--out` folder, then the submit folder. Paths
 * are relative to the folder each was found in. Returns the problems (of the last folder) of entries
 * found nowhere.
 */
export async function resolveAgainst(entries: readonly string[], baseDirs: readonly string[]): Promise<EntryResult> {
  const resolvers = await Promise.all(baseDirs.map((dir) => Resolver.open(dir).catch(() => undefined)))
  const byPath = new Map<string, ResolvedInput>()
  const problems: string[] = []
  for (const entry of entries) {
    let last: string[] = [`input ${JSON.stringify(entry)} not found`]
    for (const resolver of resolvers) {
      const r = await resolver?.task({ inputs: [entry] })
      if (!r) continue
      last = r.problems
      if (r.problems.length > 0) continue
      for (const f of r.files) if (!byPath.has(f.path)) byPath.set(f.path, f)
      break
    }
    if (last.length > 0) problems.push(...last)
  }
  const files = [...byPath.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
  return { files, problems }
}

export interface EntryResult {
  files: ResolvedInput[]
  problems: string[]
}

class Resolver {
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
      // Crawled with wildcards picomatch matches in linear time, then matched exactly by globMatcher.
      const exact = globMatcher([entry])
      const crawled = await glob(coarseGlobs(entry), {
        cwd: this.baseDir,
        dot: true,
        onlyFiles: false,
        expandDirectories: false,
        // Never crawl through symlinks (one to "/" would walk the whole disk); globFs reports them, and
        // FIFOs, sockets and devices, as files so each is checked below rather than silently dropped.
        followSymbolicLinks: false,
        fs: globFs,
      })
      matches = crawled.filter((m) => exact(m.endsWith('/') ? m.slice(0, -1) : m))
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
      const target = await this.followLink(entry, rel, abs, out)
      if (target === undefined) return
      let targetStat: Stats
      try {
        targetStat = await stat(target)
      } catch (err) {
        out.problems.push(`${where(entry, rel)}: ${describeFsError(err)}`)
        return
      }
      if (targetStat.isFile()) out.files.push(resolved(rel, target, targetStat))
      else if (targetStat.isDirectory()) await this.walk(entry, rel, target, out)
      else out.problems.push(`${where(entry, rel)} is a symlink to ${kindOf(targetStat)}; ${ONLY_FILES}`)
      return
    }
    if (st.isFile()) {
      // The file itself is no link, but a folder on its way may be: check where it really is.
      const realParent = await this.realDir(path.dirname(abs))
      if (!isInside(this.realBase, path.join(realParent, path.basename(abs)))) {
        out.problems.push(`${where(entry, rel)} is outside the submit folder (through a symlinked folder)`)
      } else out.files.push(resolved(rel, abs, st))
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

  // The real path of a symlink's target, when it exists and stays inside the submit folder.
  private async followLink(entry: string, rel: string, abs: string, out: EntryResult): Promise<string | undefined> {
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
    return target
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
            out.files.push(resolved(childRel, childReal, await stat(childReal)))
          } catch (err) {
            out.problems.push(`${where(entry, childRel)}: ${describeFsError(err)}`)
          }
        } else if (d.isSymbolicLink()) {
          const target = await this.followLink(entry, childRel, childReal, out)
          if (target === undefined) return
          let st: Stats
          try {
            st = await stat(target)
          } catch (err) {
            out.problems.push(`${where(entry, childRel)}: ${describeFsError(err)}`)
            return
          }
          if (st.isFile()) out.files.push(resolved(childRel, target, st))
          else if (!st.isDirectory()) out.problems.push(`${where(entry, childRel)} is a symlink to ${kindOf(st)}; ${ONLY_FILES}`)
          else if (chain.some((c) => c === target || c.startsWith(target + path.sep))) {
            out.problems.push(`${where(entry, childRel)} is a symlink back into a folder that contains it (a loop)`)
          } else pending.push({ rel: childRel, real: target, chain: [...chain, target] })
        } else {
          out.problems.push(`${where(entry, childRel)} is ${kindOfDirent(d)}; ${ONLY_FILES}`)
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

const ONLY_FILES = 'only regular files, folders and symlinks to them can be inputs'

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

function resolved(rel: string, absPath: string, st: Stats): ResolvedInput {
  return { path: rel, absPath, size: st.size, mode: st.mode & 0o777, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, ino: st.ino }
}

// "./a//b/" → "a/b"; "." stays "."; backslashes are left alone (a legal file-name character on posix).
function normalise(p: string): string {
  const n = path.posix.normalize(p)
  return n.length > 1 && n.endsWith('/') ? n.slice(0, -1) : n
}

function isInside(root: string, candidate: string): boolean {
  const rel = path.relative(root, candidate)
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel))
}

function where(entry: string, rel: string): string {
  return normalise(entry) === rel ? `input ${JSON.stringify(entry)}` : `input ${JSON.stringify(entry)}: "${rel}"`
}

function kindOf(st: Stats): string {
  if (st.isFIFO()) return 'a FIFO (named pipe)'
  if (st.isSocket()) return 'a socket'
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device'
  return 'not a regular file'
}

function kindOfDirent(d: Dirent): string {
  if (d.isFIFO()) return 'a FIFO (named pipe)'
  if (d.isSocket()) return 'a socket'
  if (d.isCharacterDevice() || d.isBlockDevice()) return 'a device'
  return 'not a regular file'
}

function isNotFound(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code
  return code === 'ENOENT' || code === 'ENOTDIR'
}

function describeFsError(err: unknown): string {
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

// Runs fn over items with at most `limit` calls in flight.
async function forEachLimit<T>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++
      await fn(items[i] as T, i)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
}
