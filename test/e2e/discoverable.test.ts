// The CLI is discoverable as oclif users expect (oclif's help, not-found and autocomplete plugins):
// `distw help`, `-h`, `--version`, "did you mean submit?" for a typo, shell completion, NO_COLOR.
import { execa } from 'execa'
import { describe, expect, it } from 'vitest'
import fs from 'node:fs/promises'
import path from 'node:path'
import { CLI, distw, shell, tempDir } from '../helpers/cli.js'
import { readmeExample } from '../helpers/readme.js'

describe('a discoverable CLI', { timeout: 60_000 }, () => {
  it('has help, -h, --version and completion', async () => {
    const help = await distw(['help'])
    expect(help.exitCode).toBe(0)
    expect(help.stdout).toMatch(/^ {2}run +Run a command once per argument/m)
    const short = await distw(['run', '-h'])
    expect(short.stdout).toContain('distw run [FLAGS] COMMAND')
    const version = await distw(['--version'])
    expect(version.stdout).toMatch(/^distw\/\d+\.\d+\.\d+ /)
    expect((await distw(['-v'])).stdout).toBe(version.stdout)
    const complete = await distw(['autocomplete', 'script', 'bash'])
    expect(complete.exitCode, complete.stderr).toBe(0)
    const setup = await distw(['autocomplete'])
    expect(setup.stdout).toContain('Setup Instructions')
    expect((await distw(['help', 'run'])).stdout).toContain('distw run [FLAGS] COMMAND')
  })

  it('runs a command that takes -h itself after -- (the README example)', async () => {
    const dir = await tempDir()
    await fs.writeFile(path.join(dir, 'sizes.txt'), '2K\n1M\n3\n')
    const run = await shell(readmeExample('distw run -- sort -h ::: sizes.txt'), { cwd: dir })
    expect(run.exitCode, run.stderr).toBe(0)
    expect(run.stdout).toBe('[task-1] 3\n[task-1] 2K\n[task-1] 1M')
  })

  it('suggests the command a typo meant, on a terminal, in no colour under NO_COLOR', async () => {
    // The suggestion is a prompt, so only on a terminal: script(1) makes one; "n" answers it.
    const typo = await execa('script', ['-qec', `${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} subimt`, '/dev/null'], {
      reject: false,
      input: 'n\r',
      timeout: 30_000,
      env: { ...withoutForceColor(), NO_COLOR: '1' },
    })
    expect(typo.stdout).toContain('subimt is not a distw command')
    expect(typo.stdout).toContain('Did you mean submit?')
    expect(typo.stdout).not.toMatch(/\x1b\[3\dm/)
  })

  it('suggests the command a typo meant off a terminal too, asking nothing, and exits 127', async () => {
    // A script or CI: no terminal at all. The suggestion is in the error; there is no prompt to answer.
    const piped = await distw(['submt'])
    expect(piped.exitCode).toBe(127)
    expect(piped.stderr).toContain('submt is not a distw command')
    expect(piped.stderr).toMatch(/Did you mean submit\? Run distw help for a list of available\s+(› +)?commands/)
    expect(piped.stdout).toBe('')
    // A topic's command, said as typed (a space, not oclif's colon).
    expect((await distw(['daemon', 'instal'])).stderr).toContain('Did you mean daemon install?')
    // Nothing near: only where the list is.
    const far = await distw(['zzzzzzzz'])
    expect(far.exitCode).toBe(127)
    expect(far.stderr).not.toContain('Did you mean')
    // A terminal for stdin but output into a pipe: the plugin would put its question into the pipe and
    // wait; nothing is asked (stdin gets no answer here, so a prompt would show as a question mark).
    const redirected = await execa(
      'script',
      ['-qec', `${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} submt | cat`, '/dev/null'],
      {
        reject: false,
        timeout: 30_000,
        env: { ...withoutForceColor(), NO_COLOR: '1' },
      },
    )
    expect(redirected.stdout).toContain('Did you mean submit? Run distw help')
    expect(redirected.stdout).not.toContain('(Y/n)')
  })
})

// FORCE_COLOR (even empty) outranks NO_COLOR in the colour libraries; a test runner may set it.
function withoutForceColor(): NodeJS.ProcessEnv {
  const env = { ...process.env }
  delete env.FORCE_COLOR
  return env
}
