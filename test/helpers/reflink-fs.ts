// A small btrfs (a file system that reflinks) mounted from a sparse image file, for tests of what the
// node does where copies share extents. Needs Linux, root, mkfs.btrfs (btrfs-progs; .ci/run installs
// it) and loop devices; `reflinkFsUnavailable` says why not. `unmount()` removes everything.
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

export function reflinkFsUnavailable(): string | undefined {
  if (process.platform !== 'linux') return 'loop mounts need Linux'
  if (process.getuid?.() !== 0) return 'loop mounts need root'
  if (!existsSync('/dev/loop-control')) return 'this machine has no loop devices'
  try {
    execFileSync('mkfs.btrfs', ['--version'], { stdio: 'ignore' })
  } catch {
    return 'mkfs.btrfs (btrfs-progs) is missing'
  }
  return undefined
}

export async function mountReflinkFs(): Promise<{ root: string; unmount: () => Promise<void> }> {
  const base = await fs.mkdtemp(path.join(os.tmpdir(), 'distw-btrfs-'))
  const image = path.join(base, 'fs.img')
  const root = path.join(base, 'mnt')
  let mounted = false
  const unmount = async (): Promise<void> => {
    // `-o loop` mounts detach their loop device on unmount. A file still open in it (a failed test's)
    // makes umount refuse: then it is detached lazily, once that file is closed.
    if (mounted) {
      try {
        execFileSync('umount', [root], { stdio: 'pipe' })
      } catch {
        execFileSync('umount', ['-l', root], { stdio: 'pipe' })
      }
    }
    mounted = false
    await fs.rm(base, { recursive: true, force: true })
  }
  try {
    await fs.mkdir(root)
    await fs.writeFile(image, '')
    await fs.truncate(image, 256 * 1024 * 1024) // sparse: takes no room until written
    execFileSync('mkfs.btrfs', ['-q', image], { stdio: 'pipe' })
    execFileSync('mount', ['-o', 'loop', image, root], { stdio: 'pipe' })
    mounted = true
    return { root, unmount }
  } catch (error) {
    await unmount()
    throw error
  }
}
