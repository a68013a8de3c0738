// The README's pool and secret lines, verbatim, each "machine" a HOME of its own: `pool new` prints a
// join code, `pool join CODE` with that code gives a second machine the same secret, `pool show` prints
// it again; `secret new ~/distw.secret` writes a secret of one's own, mode 600.
import fs from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { shell, tempDir } from '../helpers/cli.js'
import { readmeExample } from '../helpers/readme.js'

// A machine: its HOME, its config folder under it, and a way to run a README line there.
async function machine() {
  const home = await tempDir('distw-home-')
  const env = { HOME: home, XDG_CONFIG_HOME: path.join(home, '.config') }
  return { home, secret: path.join(home, '.config/distw/secret'), run: (line: string) => shell(line, { cwd: home, env }) }
}

describe('the README’s pool and secret lines, verbatim', { timeout: 120_000 }, () => {
  it('pool new, pool join CODE, pool show: two machines, one secret', async () => {
    const first = await machine()
    const other = await machine()
    const made = await first.run(readmeExample('distw pool new'))
    expect(made.exitCode, made.stderr).toBe(0)
    const code = made.stdout.trim()
    expect(code).toMatch(/^distw-[0-9A-Z]{5}-/)

    const joined = await other.run(readmeExample('distw pool join CODE', { CODE: code }))
    expect(joined.exitCode, joined.stderr).toBe(0)
    expect(await fs.readFile(other.secret)).toEqual(await fs.readFile(first.secret))
    const shown = await other.run(readmeExample('distw pool show'))
    expect(shown.exitCode, shown.stderr).toBe(0)
    expect(shown.stdout).toContain(code)
  })

  it('secret new ~/distw.secret: a secret file of one’s own, mode 600', async () => {
    const { home, run } = await machine()
    const made = await run(readmeExample('distw secret new ~/distw.secret'))
    expect(made.exitCode, made.stderr).toBe(0)
    const stat = await fs.stat(path.join(home, 'distw.secret'))
    expect(stat.mode & 0o777).toBe(0o600)
    expect(stat.size).toBeGreaterThan(16)
  })
})
