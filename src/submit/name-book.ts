// Every task name the batch has seen, with where the task stands: known (pending), or how it ended.
// This is what is left of a finished task, so that a later line's `after` can still name it and a
// later line cannot take its name again. Kept small for an endless stream: a task with its default
// name (`task-<line>`, every plain line) costs one byte in an array indexed by its line; only explicit
// names take a map entry.
import type { TaskStatus } from './result.js'

/** Where a named task stands: `pending` until it ends; `rejected`: its line was bad and never ran. */
export type NameState = 'pending' | TaskStatus | 'rejected'

const STATES: readonly NameState[] = ['pending', 'succeeded', 'failed', 'skipped', 'cancelled', 'rejected']
const CODE = new Map(STATES.map((s, i) => [s, i + 1])) // 0: no task of that default name
const DEFAULT_NAME = /^task-([1-9]\d{0,9})$/
/** Lines beyond this (an object given with a made-up line number) keep their name in the map. */
const MAX_INDEXED_LINE = 1 << 27

export class NameBook {
  private byLine = new Uint8Array(1024)
  private readonly named = new Map<string, NameState>()

  /** Where `name` stands; undefined when no task has that name (yet). */
  get(name: string): NameState | undefined {
    const line = defaultLine(name)
    const code = line === undefined ? 0 : (this.byLine[line] ?? 0)
    return code > 0 ? STATES[code - 1] : this.named.get(name)
  }

  /** Takes `name` for the task on `line` (pending); false when another task has it already. */
  claim(name: string, line: number): boolean {
    if (this.get(name) !== undefined) return false
    this.set(name, line, 'pending')
    return true
  }

  /** Records how the task called `name` (on `line`) stands now. */
  set(name: string, line: number, state: NameState): void {
    const code = CODE.get(state) as number
    if (defaultLine(name) === line && line < MAX_INDEXED_LINE) {
      if (line >= this.byLine.length) {
        const grown = new Uint8Array(Math.max(line + 1, this.byLine.length * 2))
        grown.set(this.byLine)
        this.byLine = grown
      }
      // A default-shaped name given explicitly to another line lives in the map; the two never clash
      // (claim() refuses the second).
      if (!this.named.has(name)) {
        this.byLine[line] = code
        return
      }
    }
    this.named.set(name, state)
  }
}

function defaultLine(name: string): number | undefined {
  const match = DEFAULT_NAME.exec(name)
  return match ? Number(match[1]) : undefined
}
