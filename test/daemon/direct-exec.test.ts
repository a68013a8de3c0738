// A shell line without shell syntax runs without /bin/sh (src/daemon/run/shell-words.ts). The user must not
// be able to tell, except by speed: same output, same PWD, and the shell's own words and exit status
// when the program cannot be started.
import fs from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { execute } from '../../src/daemon/run/executor.js'
import { directArgv } from '../../src/daemon/run/shell-words.js'
import { tempDir } from '../helpers/cli.js'

async function runLine(
  shell: string,
  cwd?: string,
): Promise<{ exitCode: number | null; stdout: string; stderr: string; startError?: string }> {
  const out = { stdout: '', stderr: '' }
  const result = await execute({
    command: { shell },
    cwd: cwd ?? (await tempDir()),
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' },
    killGraceMs: 500,
    signal: new AbortController().signal,
    onOutput: (stream, data) => void (out[stream] += data.toString()),
  })
  return { exitCode: result.exitCode, ...out, ...(result.startError === undefined ? {} : { startError: result.startError }) }
}

describe('directArgv', () => {
  it('takes a plain word list as an argv', () => {
    expect(directArgv('sleep 0.05')).toEqual(['sleep', '0.05'])
    expect(directArgv('./render --frame=7 -o out/f7.png a,b:c@d+e')).toEqual(['./render', '--frame=7', '-o', 'out/f7.png', 'a,b:c@d+e'])
    expect(directArgv('  gzip\t-9  big.log ')).toEqual(['gzip', '-9', 'big.log'])
  })

  it('leaves to the shell what is shell syntax or the shell’s own', () => {
    for (const line of [
      'echo hi', // dash's echo is not /bin/echo
      'true',
      'cd out',
      'exit 3',
      'export A',
      'if true',
      'A=1 env',
      'ls *.log',
      'cat < in',
      'a; b',
      'a && b',
      'echo $HOME',
      "grep 'x y' f",
      'ls ~',
      'sleep 1\nrm x',
      'a | b',
    ]) {
      expect(directArgv(line), line).toBeUndefined()
    }
  })
})

describe('a shell line run directly', () => {
  it('prints what it prints through the shell, with PWD set as the shell sets it', async () => {
    const cwd = await tempDir()
    const real = await fs.realpath(cwd)
    expect(await runLine('printenv PWD', cwd)).toMatchObject({ exitCode: 0, stdout: `${cwd}\n` })
    // The same through the shell (a `$` makes the line shell syntax).
    expect(await runLine('printenv PWD $NOTHING', cwd)).toMatchObject({ exitCode: 0, stdout: `${cwd}\n` })
    expect(await runLine('pwd', cwd)).toMatchObject({ stdout: `${real}\n` })
  })

  it('a program that is not there: the shell’s message and exit status 127', async () => {
    const result = await runLine('no-such-program-here --flag')
    expect(result.exitCode).toBe(127)
    expect(result.stderr).toMatch(/no-such-program-here: .*not found/)
    expect(result.startError).toBeUndefined()
  })

  it('a file that is not executable: exit status 126; a script without #!: run by the shell', async () => {
    const cwd = await tempDir()
    await fs.writeFile(path.join(cwd, 'data.txt'), 'just data\n', { mode: 0o644 })
    await fs.writeFile(path.join(cwd, 'script'), 'echo from a script without a shebang\n', { mode: 0o755 })
    const notExecutable = await runLine('./data.txt', cwd)
    expect(notExecutable.exitCode).toBe(126)
    expect(notExecutable.stderr).toMatch(/Permission denied/)
    expect(await runLine('./script', cwd)).toMatchObject({ exitCode: 0, stdout: 'from a script without a shebang\n' })
  })
})
