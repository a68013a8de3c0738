// A folder of the task swapped for a symlink to an outside folder, atomically and in a loop, by a process
// the task's kill cannot reach: the node's walk of the folder (the diff, the files it returns, the
// clean-up) goes through handles held on each folder, so it neither returns nor deletes anything outside.
import { execa } from 'execa'
import fs from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { node, runOne, scratch } from './harness.js'

const SWAPPER = path.join(import.meta.dirname, '../fixtures/swap-folder.py')

describe('a folder swapped for a symlink', { timeout: 120_000 }, () => {
  it('is refused by the diff, the return and the clean-up', async (ctx) => {
    if (process.platform !== 'linux') ctx.skip() // held handles need /proc/self/fd
    const workDir = await scratch('distw-swap-node-')
    const outside = await scratch('distw-swap-outside-')
    for (let i = 0; i < 200; i++) await fs.writeFile(path.join(outside, `o${i}`), 'outside')
    const d = await node({ workDir })
    const swapper = execa('python3', [SWAPPER, path.join(workDir, 'tasks'), outside, '20'], { reject: false })
    try {
      const returned: string[] = []
      const ownReturned = () => returned.some((f) => /^d(\.l)?\/f\d+$/.test(f))
      // Five rounds, and more (up to 20, within the swapper's 20 s) until one walk caught `d` whole: on a
      // loaded machine the swapper can win five times running, and every walk then rightly refuses it.
      for (let round = 0; round < 20 && (round < 5 || !ownReturned()); round++) {
        // The task makes `d` with its own files and lingers while the swapper flips it; then it ends, and
        // the node walks, returns and removes its folder while the flipping goes on.
        const { exit, files } = await runOne(d, {
          command: { shell: 'mkdir d && for i in $(seq 200); do echo mine > d/f$i; done; sleep 0.5' },
        })
        expect(exit.exitCode).toBe(0)
        returned.push(...files)
      }
      expect(returned.filter((f) => /(^|\/)o\d+$/.test(f))).toEqual([])
      // (The task itself may write its own files through the link: that is its doing, not the node's.)
      expect((await fs.readdir(outside)).filter((f) => /^o\d+$/.test(f)).length).toBe(200)
      expect(ownReturned()).toBe(true)
    } finally {
      swapper.kill()
      const swaps = Number((await swapper).stdout)
      expect(swaps).toBeGreaterThan(100) // the swap really happened, many times
    }
  })
})
