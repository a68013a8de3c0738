// README examples as tests run them: `readmeExample(line)` is the one way a test names a README line it
// runs verbatim, and test/readme/coverage.test.ts reads the tests' sources for those calls.
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { expect } from 'vitest'

export const README = fileURLToPath(new URL('../../README.md', import.meta.url))

// A trailing comment is two or more spaces, then `#` (a `#` inside a command, like `{#}`, has none).
const TRAILING_COMMENT = /\s{2,}#.*$/

/** Every command line of every ```sh block of `text`: trailing comments cut, comment-only and blank lines skipped. */
export function shellLines(text: string): string[] {
  const blocks = [...text.matchAll(/^```sh\n([\s\S]*?)^```/gm)].map((m) => m[1] ?? '')
  return blocks
    .flatMap((block) => block.split('\n'))
    .map((line) => line.replace(TRAILING_COMMENT, '').trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
}

/**
 * A README example, to run verbatim: fails unless it is a command line of a ```sh block, or a `code span`
 * of the prose. `placeholders` replaces words that stand for something the reader fills in (CODE: the
 * join code `pool new` printed), each named here, so the coverage test still sees the line as written.
 */
export function readmeExample(line: string, placeholders: Record<string, string> = {}): string {
  const readme = readFileSync(README, 'utf8')
  const found = shellLines(readme).includes(line) || readme.includes(`\`${line}\``)
  expect(found, `not a README example: ${line}`).toBe(true)
  let filled = line
  for (const [word, value] of Object.entries(placeholders)) {
    const pattern = new RegExp(`\\b${word}\\b`, 'g')
    expect(line, `${word} is not a word of ${line}`).toMatch(pattern)
    filled = filled.replace(pattern, () => value)
  }
  return filled
}
