// "Every README example is run by a test, verbatim": each command line of README.md's ```sh blocks is
// either an exact `readmeExample('…')` argument somewhere under test/, or in the small table below with
// the reason it cannot be run here. A new example with neither fails this test.
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { README, shellLines } from '../helpers/readme.js'

const TESTS = fileURLToPath(new URL('..', import.meta.url))
const THIS_FILE = fileURLToPath(import.meta.url)

// README lines no test runs, each with why. Keep it small: a line that can run gets a test instead.
const EXCUSED: Record<string, string> = {
  'git clone <this repository> distw && cd distw': 'a placeholder for wherever the reader got distw; the tests run in that checkout',
  'npm install && npm run build': 'CI runs it (.ci/run) before the tests; a test must not reinstall the node_modules it runs from',
  'npm link':
    'writes to the global npm prefix of the machine; the tests put a `distw` of their own on PATH instead (helpers/cli.ts shell())',
  'npm run package':
    '`npm run build` (CI runs it), then scripts/package/build.mjs, whose buildExecutable() test/package/sea.test.ts calls before it runs ./dist/distw-linux-x64',
  'npm install && npm run demo':
    'npm install is CI’s own step; `npm run demo` rebuilds dist/ (under the tests running from it), then runs examples/demo/run.mjs, which test/examples/demo.test.ts runs',
  'npm install && npm test': 'CI itself: it is what runs this test',
}

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '0': '\0' }

/** The string literal ('…', "…" or a `…` without ${}) that starts at `source[at]`, unescaped; undefined if there is none. */
function stringLiteralAt(source: string, at: number): string | undefined {
  const quote = source[at]
  if (quote !== "'" && quote !== '"' && quote !== '`') return undefined
  let value = ''
  for (let i = at + 1; i < source.length; i++) {
    const char = source[i] as string
    if (char === quote) return value
    if (char === '\\') {
      const next = source[++i] ?? ''
      value += ESCAPES[next] ?? next
    } else if (quote === '`' && char === '$' && source[i + 1] === '{') return undefined
    else if (quote !== '`' && char === '\n') return undefined
    else value += char
  }
  return undefined
}

/** Every literal argument of `readmeExample(…)` in `source` (calls with a computed argument count for nothing). */
function readmeExampleArguments(source: string): string[] {
  const found: string[] = []
  for (const match of source.matchAll(/\breadmeExample\(\s*/g)) {
    const literal = stringLiteralAt(source, match.index + match[0].length)
    if (literal !== undefined) found.push(literal)
  }
  return found
}

/** The README lines that are neither run nor excused. */
function uncovered(lines: readonly string[], run: ReadonlySet<string>, excused: Readonly<Record<string, string>>): string[] {
  return lines.filter((line) => !run.has(line) && !(line in excused))
}

function testSources(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((file) => /\.(ts|tsx|mjs)$/.test(file))
    .map((file) => path.join(dir, file))
    .filter((file) => file !== THIS_FILE)
}

describe('README examples', () => {
  const readme = readFileSync(README, 'utf8')
  const lines = shellLines(readme)
  const calls = testSources(TESTS).flatMap((file) => readmeExampleArguments(readFileSync(file, 'utf8')).map((line) => ({ file, line })))
  const run = new Set(calls.map((call) => call.line))

  it('every command line of a ```sh block is run verbatim by a test, or excused with its reason', () => {
    expect(lines.length).toBeGreaterThan(20)
    expect(uncovered(lines, run, EXCUSED), 'README lines no test runs: run each with readmeExample(line), or excuse it here').toEqual([])
  })

  it('the excused table holds only README lines that no test runs', () => {
    const stale = Object.keys(EXCUSED).filter((line) => !lines.includes(line) || run.has(line))
    expect(stale, 'excused lines that are gone from the README or are now run: drop them from EXCUSED').toEqual([])
  })

  it('every readmeExample() literal is a line of the README as it is now', () => {
    const foreign = calls.filter(({ line }) => !lines.includes(line) && !readme.includes(`\`${line}\``))
    expect(foreign.map(({ file, line }) => `${path.relative(TESTS, file)}: ${line}`)).toEqual([])
  })

  it('catches a new example without a test, and reads literals as the test sources spell them', () => {
    const text = '```sh\ndistw new-thing --flag   # says what\n# only a comment\n\ndistw run echo {#}\n```\n'
    expect(shellLines(text)).toEqual(['distw new-thing --flag', 'distw run echo {#}'])
    expect(uncovered(shellLines(text), new Set(['distw run echo {#}']), {})).toEqual(['distw new-thing --flag'])
    // Whole strings only: a run of `distw daemon --port 1` is not a run of `distw daemon`.
    expect(uncovered(['distw daemon'], new Set(['distw daemon --port 1']), {})).toEqual(['distw daemon'])
    const source = [
      String.raw`readmeExample('sed \'s/x/y/\' data\\/a')`,
      String.raw`readmeExample( "say \"hi\"" )`,
      'readmeExample(`a ${b}`)',
      'readmeExample(`c \\` d`)',
      'readmeExample(line)',
    ].join('\n')
    expect(readmeExampleArguments(source)).toEqual([String.raw`sed 's/x/y/' data\/a`, 'say "hi"', 'c ` d'])
  })
})
