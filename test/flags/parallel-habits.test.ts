// GNU Parallel's and xargs's flags that distw lacks are refused with what to do instead (src/flags/parallel-habits.ts).
import { describe, expect, it } from 'vitest'
import { UserError } from '../../src/errors.js'
import { withoutParallelHabits } from '../../src/flags/parallel-habits.js'
import { distw } from '../helpers/cli.js'

describe('GNU Parallel habits', () => {
  it('drops the flags that ask for what distw does anyway, keeps the rest', () => {
    expect(
      withoutParallelHabits(['--line-buffer', '-j', '2', '-r', '--lb', '-k', '--no-run-if-empty', '--will-cite', '--no-notice']),
    ).toEqual(['-j', '2', '-k'])
  })

  it('names what to do instead, whether the value is attached or not', () => {
    const refusal = (flags: string[]) => {
      try {
        withoutParallelHabits(flags)
      } catch (error) {
        expect(error).toBeInstanceOf(UserError)
        return (error as Error).message
      }
      return undefined
    }
    expect(refusal(['-j', '2', '--pipe'])).toBe("--pipe is GNU Parallel's (or xargs's), not distw's")
    expect(refusal(['--delay=0.5'])).toBe("--delay is GNU Parallel's (or xargs's), not distw's")
    expect(refusal(['-S', 'host'])).toBe("-S is GNU Parallel's (or xargs's), not distw's")
    expect(refusal(['-j4', '-k'])).toBeUndefined()
  })

  it('distw run refuses one before reading anything, with the next step, exit code 2', async () => {
    const run = await distw(['run', '--pipe', 'wc', '-l'], { input: 'never read\n' })
    expect(run.exitCode).toBe(2)
    expect(run.stderr).toContain("--pipe is GNU Parallel's (or xargs's), not distw's")
    expect(run.stderr).toContain('split -l 10000 big.txt part-')
  }, 60_000)
})
