// The glob language of `outputs`/`inputs` (src/protocol/glob.ts): what it matches, and that a hostile
// glob costs time linear in the path.
import { describe, expect, it } from 'vitest'
import { coarseGlobs, globMatcher, globProblem } from '../../src/protocol/index.js'

const CASES: [string, string[], string[]][] = [
  ['*.txt', ['a.txt', '.a.txt'], ['x/a.txt', 'a.txt.gz']],
  ['**/*.txt', ['a.txt', 'x/a.txt', 'x/y/a.txt'], ['a.txt/b']],
  ['a/**', ['a/b', 'a/x/y', 'a'], ['b/a']],
  ['a/**/b', ['a/b', 'a/x/b', 'a/x/y/b'], ['a/x/c']],
  ['?.c', ['b.c'], ['bb.c', '/.c']],
  ['[a-c]x', ['ax', 'cx'], ['dx']],
  ['[!a]x', ['bx'], ['ax']],
  ['{a,b}.txt', ['a.txt', 'b.txt'], ['c.txt']],
  ['a/{b,c/d}/e', ['a/b/e', 'a/c/d/e'], ['a/c/e']],
  ['x\\*y', ['x*y'], ['xzy']],
  ['out/**/*.{png,jpg}', ['out/a.png', 'out/x/y/b.jpg'], ['out/c.gif']],
  ['!*.log', ['a.txt', 'x/a.log'], ['a.log']],
  ['plain/name.txt', ['plain/name.txt'], ['plain/name.txtx']],
]

describe('globs', () => {
  it.each(CASES)('%s', (glob, yes, no) => {
    const match = globMatcher([glob])
    for (const p of yes) expect(match(p), p).toBe(true)
    for (const p of no) expect(match(p), p).toBe(false)
  })

  it('spells out coarse globs for a crawler that match at least as much', () => {
    expect(coarseGlobs('a/{b,c/d}/e*')).toEqual(['a/b/*', 'a/c/d/*'])
    expect(coarseGlobs('**/x[0-9].png')).toEqual(['**/*'])
  })

  it('matches many stars against a long name without backtracking', () => {
    const match = globMatcher(['**/' + '*a'.repeat(400) + 'b'])
    const path = Array.from({ length: 16 }, () => 'a'.repeat(255)).join('/')
    const t = performance.now()
    expect(match(path)).toBe(false)
    expect(performance.now() - t).toBeLessThan(500)
    expect(globProblem('{a,b}'.repeat(7))).toMatch(/alternatives/)
  })
})
