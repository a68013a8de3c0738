// The files a plain task line names become its inputs: `gzip -k a.txt` sends a.txt, as if the line
// had said `"inputs":["a.txt"]`. Only words that name an existing file or non-empty folder inside the
// submit folder are taken; a word naming nothing is left alone (it may be an output), and one naming
// something outside the folder is not sent but warned about, so a remote failure is not a mystery.
import type { Dirent, Stats } from 'node:fs'
import { lstat, readdir, realpath, stat } from 'node:fs/promises'
import path from 'node:path'
import { isInside } from './input-checks.js'
import { globMatches } from './input-glob.js'
import { shellWords, type ShellWord } from './shell-split.js'
import type { TaskSpec } from './spec.js'

/** A word of a task that names a path outside the submit folder. */
export interface OutsideWord {
  task: string
  word: string
}

type Found = { kind: 'inside'; rel: string } | { kind: 'outside' } | { kind: 'none' }

const NOTHING: Found = { kind: 'none' }
const OUTSIDE: Found = { kind: 'outside' }

/** The warning for a word outside the submit folder, as the summary line shows it. */
export function outsideMessage(o: OutsideWord): string {
  return `${o.task}: ${o.word} is outside the submit folder and was not sent`
}

/**
 * Fills the inputs of every task marked `autoInputs` from the words of its command. Returns new task
 * objects (the others as they are) and the words that named something outside the folder.
 */
export async function detectInputs(tasks: readonly TaskSpec[], baseDir: string): Promise<{ tasks: TaskSpec[]; outside: OutsideWord[] }> {
  const finder = await Finder.open(baseDir)
  const outside: OutsideWord[] = []
  const out = await Promise.all(
    tasks.map(async (task) => {
      if (!task.autoInputs) return task
      const inputs: string[] = []
      const words = candidates(task)
      const first = words[0]?.program === true ? words[0].word : undefined
      for (const { word, program, pattern } of words) {
        if (pattern !== undefined) {
          for (const rel of await finder.expand(pattern)) if (!inputs.includes(rel)) inputs.push(rel)
          continue
        }
        const found = await finder.find(word)
        // `./render` names a program only the submit folder can hold (the node's task folder starts with
        // the inputs alone): one missing there is an input that does not exist, reported with its line.
        const missing = found.kind === 'none' && program && word === first && finder.inside(word)
        if (missing && !inputs.includes(word)) inputs.push(word)
        else if (found.kind === 'inside' && !inputs.includes(found.rel)) inputs.push(found.rel)
        // `/usr/bin/env python3 x.py`: an installed program is expected on the node too; no warning.
        else if (found.kind === 'outside' && !program && !outside.some((o) => o.task === task.name && o.word === word)) {
          outside.push({ task: task.name, word })
        }
      }
      return inputs.length === 0 ? task : { ...task, inputs }
    }),
  )
  return { tasks: out, outside }
}

/** The words of a task's command that may name files it reads. */
export function candidates(task: TaskSpec): { word: string; program: boolean; pattern?: string }[] {
  const words: ShellWord[] =
    'argv' in task.command
      ? task.command.argv.map((text, i) => ({ text, role: i === 0 ? 'program' : 'argument', literal: true }))
      : shellWords(task.command.shell)
  const out: { word: string; program: boolean; pattern?: string }[] = []
  for (const w of words) {
    // `cat data/*.csv`: what sh will expand the glob to on the node is what it matches here.
    if (w.pattern !== undefined && (w.role === 'argument' || w.role === 'read'))
      out.push({ word: w.text, program: false, pattern: w.pattern })
    if (!w.literal || w.text === '' || w.role === 'write') continue
    // A program without a slash is looked up on the node's PATH, never taken from this folder.
    if (w.role === 'program' && !w.text.includes('/')) continue
    out.push({ word: w.text, program: w.role === 'program' })
    // `--input=data.csv`, `if=disk.img`: the value after the first `=` may name a file too.
    const eq = w.text.indexOf('=')
    if (w.role === 'argument' && eq > 0 && eq < w.text.length - 1) out.push({ word: w.text.slice(eq + 1), program: false })
  }
  return out
}

class Finder {
  private readonly cache = new Map<string, Promise<Found>>()
  private readonly expanded = new Map<string, Promise<string[]>>()

  private constructor(
    private readonly base: string,
    private readonly realBase: string,
  ) {}

  static async open(baseDir: string): Promise<Finder> {
    const base = path.resolve(baseDir)
    return new Finder(base, await realpath(base).catch(() => base))
  }

  find(word: string): Promise<Found> {
    let found = this.cache.get(word)
    if (found === undefined) this.cache.set(word, (found = this.look(word)))
    return found
  }

  /** Whether `word` is a relative path that stays inside the submit folder. */
  inside(word: string): boolean {
    const abs = path.resolve(this.base, word)
    return !path.isAbsolute(word) && abs !== this.base && isInside(this.base, abs)
  }

  /** What sh would expand a relative glob to in the submit folder, as inputs (each checked as find does). */
  expand(pattern: string): Promise<string[]> {
    let found = this.expanded.get(pattern)
    if (found === undefined) this.expanded.set(pattern, (found = this.glob(pattern)))
    return found
  }

  private async glob(pattern: string): Promise<string[]> {
    // sh has no `**` (a run of stars is one star); `./` is where the crawl starts; an absolute or `..`
    // glob reaches outside the folder, where nothing is sent.
    if (pattern.startsWith('/')) return []
    const segments = pattern
      .replace(/\*{2,}/g, '*')
      .split('/')
      .filter((s) => s !== '.' && s !== '')
    if (segments.length === 0 || segments.includes('..')) return []
    const matches = await globMatches(segments.join('/'), this.base).catch(() => [])
    const out: string[] = []
    for (const match of matches) {
      const names = match.replace(/\/$/, '').split('/')
      // sh's `*`, `?` and `[…]` never match a leading dot: only a segment that starts with one does.
      if (names.some((name, i) => name.startsWith('.') && !segments[i]?.startsWith('.'))) continue
      const found = await this.find(names.join('/'))
      if (found.kind === 'inside' && !out.includes(found.rel)) out.push(found.rel)
    }
    return out
  }

  private async look(word: string): Promise<Found> {
    if (word.includes('\0')) return NOTHING
    const abs = path.resolve(this.base, word)
    // Not "." or the folder itself: `find . -name x` must not send the whole folder.
    if (abs === this.base) return NOTHING
    let st: Stats
    try {
      st = await lstat(abs)
    } catch {
      return NOTHING
    }
    // `/dev/null` and friends are no files to send, and no surprise to the node either.
    if (!st.isFile() && !st.isDirectory() && !st.isSymbolicLink()) return NOTHING
    const rel = path.relative(this.base, abs)
    if (!isInside(this.base, abs)) return OUTSIDE
    // A symlink (or a symlinked folder on the way) that leads out is outside too.
    const real = await realpath(abs).catch(() => undefined)
    if (real === undefined) return NOTHING
    if (!isInside(this.realBase, real)) return OUTSIDE
    const target = await stat(real).catch(() => undefined)
    if (target?.isFile()) return { kind: 'inside', rel: rel.split(path.sep).join('/') }
    // An empty folder has nothing to send (and as an input it would be refused).
    if (target?.isDirectory() && (await hasEntries(real))) return { kind: 'inside', rel: rel.split(path.sep).join('/') }
    return NOTHING
  }
}

async function hasEntries(dir: string): Promise<boolean> {
  const entries: Dirent[] = await readdir(dir, { withFileTypes: true }).catch(() => [])
  return entries.length > 0
}
