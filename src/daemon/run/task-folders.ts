// Task folders, reused. Each task gets a folder of its own under tasks/; when the task leaves it empty
// (the common trivial task), it is parked under idle/ and renamed back for a later task instead of
// being removed and made anew. Measured on these machines: removing a folder that a child process has
// just used as its working directory cost 0.6–1.6 ms, a rename ~0.05 ms. A folder given back while
// the next task is about to start in the same turn (a run queued on the ending task's lease) goes to
// it where it is, with no rename at all; what no task took in that turn is parked then. So tasks/
// still holds only the folders of running tasks once a turn ends. A folder that cannot be removed (a file made immutable, a mount inside it)
// is moved aside to stuck/ and said in the log: its task still ends, and stuck/ is tried again later.
import { randomBytes } from 'node:crypto'
import fsSync from 'node:fs'
import fs from 'node:fs/promises'
import path from 'node:path'
import { emptyFolderMode, removeHeld } from './held-folder.js'

/** Parked folders beyond this are removed: a burst of tasks must not leave thousands behind. */
const MAX_IDLE = 64

export class TaskFolders {
  private readonly idle: string[] = []
  /** Empty folders given back this turn, still under tasks/: the next take() has one without a rename. */
  private readonly handed: string[] = []
  private parking = false
  private readonly prefix = randomBytes(4).toString('hex')
  private seq = 0

  private constructor(
    /** Where running tasks' folders are. */
    readonly root: string,
    private readonly idleRoot: string,
    /** Folders that could not be removed. */
    private readonly stuckRoot: string,
    private readonly log: (event: string, fields?: Record<string, unknown>) => void,
  ) {}

  /** Opens `workDir/tasks` and `workDir/idle`, removing what a previous, crashed run left there. */
  static async open(workDir: string, log: (event: string, fields?: Record<string, unknown>) => void = () => {}): Promise<TaskFolders> {
    const folders = new TaskFolders(path.join(workDir, 'tasks'), path.join(workDir, 'idle'), path.join(workDir, 'stuck'), log)
    await folders.clearStuck()
    for (const dir of [folders.root, folders.idleRoot]) {
      await folders.remove(dir)
      await fs.mkdir(dir, { recursive: true, mode: 0o700 })
    }
    return folders
  }

  /** An empty folder for a task (mode 0700), under `root`. */
  take(): string {
    const handed = this.handed.pop()
    if (handed !== undefined) return handed
    const parked = this.idle.pop()
    if (parked === undefined) return fsSync.mkdtempSync(path.join(this.root, 'task-'))
    const dir = path.join(this.root, `task-${this.prefix}${++this.seq}`)
    fsSync.renameSync(parked, dir)
    return dir
  }

  /**
   * Gives a task's folder back: parked when the task left it empty and as it was made (a folder
   * whose mode the task changed is not handed to another task), else removed with what is in it.
   * `seenEmptyMode`: the folder's mode, from a look the caller made after the task's processes were
   * gone that found it empty (one look a task, not two).
   */
  async give(dir: string, seenEmptyMode?: number): Promise<void> {
    try {
      if (this.idle.length + this.handed.length < MAX_IDLE && (seenEmptyMode ?? emptyFolderMode(dir)) === 0o700) {
        this.handed.push(dir)
        if (!this.parking) {
          this.parking = true
          setImmediate(() => this.park())
        }
        return
      }
    } catch {
      // Anything odd about the folder: it is removed below.
    }
    await this.remove(dir)
  }

  // The folders given back and not taken in their turn go to idle/.
  private park(): void {
    this.parking = false
    for (const dir of this.handed.splice(0)) {
      const parked = path.join(this.idleRoot, path.basename(dir))
      try {
        fsSync.renameSync(dir, parked)
        this.idle.push(parked)
      } catch {
        void this.remove(dir)
      }
    }
  }

  /** Removes the parked folders (the daemon is stopping). */
  async close(): Promise<void> {
    for (const dir of this.handed.splice(0)) await this.remove(dir)
    this.idle.length = 0
    await this.remove(this.idleRoot)
    await this.clearStuck()
  }

  // Never throws: a folder that will not go is moved to stuck/ (out of tasks/, which must hold only
  // running tasks' folders), or left where it is if even that fails; either way it is logged.
  private async remove(dir: string): Promise<void> {
    try {
      // Through held handles: a process of the task still running may swap a folder for a link meanwhile.
      await removeHeld(dir)
    } catch (error) {
      const aside = path.join(this.stuckRoot, `${path.basename(dir)}-${randomBytes(3).toString('hex')}`)
      const moved = await fs
        .mkdir(this.stuckRoot, { recursive: true, mode: 0o700 })
        .then(() => fs.rename(dir, aside))
        .then(
          () => true,
          () => false,
        )
      this.log('task folder not removed', { dir, error: (error as Error).message, ...(moved ? { movedTo: aside } : {}) })
    }
  }

  // What earlier tasks left that could not be removed then: tried again, quietly.
  private async clearStuck(): Promise<void> {
    for (const name of await fs.readdir(this.stuckRoot).catch(() => [])) await removeHeld(path.join(this.stuckRoot, name)).catch(() => {})
    await fs.rmdir(this.stuckRoot).catch(() => {})
  }
}
