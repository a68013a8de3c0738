// The files a plain line names become its inputs (src/tasks/auto-inputs.ts, shell-split.ts).
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { detectInputs } from '../../src/tasks/auto-inputs.js'
import { parseTasks } from '../../src/tasks/index.js'
import { shellWords } from '../../src/tasks/shell-split.js'

describe('shellWords', () => {
  it('splits as sh does, with the role of each word', () => {
    expect(shellWords(`gzip -9 < big.log > 'out file.gz' 2>err.txt`)).toEqual([
      { text: 'gzip', role: 'program', literal: true },
      { text: '-9', role: 'argument', literal: true },
      { text: 'big.log', role: 'read', literal: true },
      { text: 'out file.gz', role: 'write', literal: true },
      { text: 'err.txt', role: 'write', literal: true },
    ])
    const words = shellWords(`A=1 ./prog "a \\"b\\"" x\\ y $HOME *.txt | sort >> log; bin/two`)
    expect(words.map((w) => [w.text, w.role, w.literal])).toEqual([
      ['./prog', 'program', true],
      ['a "b"', 'argument', true],
      ['x y', 'argument', true],
      ['$HOME', 'argument', false],
      ['*.txt', 'argument', false],
      ['sort', 'program', true],
      ['log', 'read', true],
      ['bin/two', 'program', true],
    ])
  })

  it('keeps a glob sh would expand as a pattern, quoted parts escaped; not one it would compute', () => {
    const pattern = (line: string) => shellWords(line).map((w) => w.pattern)
    expect(pattern(`cat data/*.bin 'my {dir}'/p?[0-9] !x* a\\*`)).toEqual([
      undefined,
      'data/*.bin',
      'my \\{dir\\}/p?[0-9]',
      '\\!x*',
      undefined,
    ])
    expect(pattern('cat $D/*.bin ~/*.txt "*".c')).toEqual([undefined, undefined, undefined, undefined])
  })

  it('stops at a comment, a here-document and an unbalanced quote', () => {
    expect(shellWords('cat a # b').map((w) => w.text)).toEqual(['cat', 'a'])
    expect(shellWords('cat <<EOF a').map((w) => w.text)).toEqual(['cat'])
    expect(shellWords("cat a 'b").map((w) => w.text)).toEqual(['cat', 'a'])
  })
})

describe('detectInputs', () => {
  let dir: string
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'distw-auto-'))
    await fs.mkdir(path.join(dir, 'data'))
    await fs.mkdir(path.join(dir, 'empty'))
    await fs.mkdir(path.join(dir, 'bin'))
    await fs.writeFile(path.join(dir, 'data', 'part-1.bin'), '1')
    await fs.writeFile(path.join(dir, 'a b;c.txt'), 'x')
    await fs.writeFile(path.join(dir, 'bin', 'prog'), '#!/bin/sh\n', { mode: 0o755 })
    await fs.writeFile(path.join(dir, 'gzip'), 'not the program')
    await fs.symlink('/etc', path.join(dir, 'out-link'))
    await fs.writeFile(`${dir}-beside.txt`, 'outside')
  })
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true })
    await fs.rm(`${dir}-beside.txt`, { force: true })
  })

  const detect = async (text: string) => detectInputs(parseTasks(text, 't'), dir)

  it('takes existing files and folders, as programs with a slash, arguments and `<` targets', async () => {
    const { tasks, outside } = await detect(
      [
        'sha256sum data/part-1.bin missing.txt',
        "gzip -k 'a b;c.txt'",
        'bin/prog --in=data/part-1.bin < data/part-1.bin > new.txt',
        'ls data/ empty/ .',
        `cat ${dir}/data/part-1.bin`,
      ].join('\n'),
    )
    expect(tasks.map((t) => t.inputs)).toEqual([
      ['data/part-1.bin'],
      ['a b;c.txt'],
      ['bin/prog', 'data/part-1.bin'],
      ['data'],
      ['data/part-1.bin'],
    ])
    expect(outside).toEqual([])
  })

  it('sends what a glob matches, as sh would expand it: no dotfiles for `*`, no `**`, nothing outside', async () => {
    await fs.writeFile(path.join(dir, 'data', 'part-2.bin'), '2')
    await fs.writeFile(path.join(dir, 'data', '.hidden.bin'), 'h')
    await fs.mkdir(path.join(dir, 'data', 'deep'))
    await fs.writeFile(path.join(dir, 'data', 'deep', 'part-3.bin'), '3')
    const { tasks } = await detect(
      ['cat data/*.bin > all', 'cat data/.*.bin ./data/part-[2-9].bin', 'ls data/** ../*.txt', 'rm *.tmp', 'cp -r dat? copy'].join('\n'),
    )
    expect(tasks.map((t) => t.inputs)).toEqual([
      ['data/part-1.bin', 'data/part-2.bin'],
      ['data/.hidden.bin', 'data/part-2.bin'],
      ['data/deep', 'data/part-1.bin', 'data/part-2.bin'],
      [],
      ['data'],
    ])
  })

  it('takes a line’s first program with a slash even when it names nothing, so the check reports it', async () => {
    const { tasks } = await detect(
      ['./missing.sh data/part-1.bin', 'gcc -o prog x.c && ./prog', 'sub/tool', '../up.sh', '/opt/x/run'].join('\n'),
    )
    expect(tasks.map((t) => t.inputs)).toEqual([['./missing.sh', 'data/part-1.bin'], [], ['sub/tool'], [], []])
  })

  it('warns once per task about words outside the folder, and sends them not', async () => {
    const beside = `../${path.basename(dir)}-beside.txt`
    const { tasks, outside } = await detect(`cat /etc/hostname ${beside} /etc/hostname out-link ../nothing\n/usr/bin/env true`)
    expect(tasks[0]?.inputs).toEqual([])
    expect(outside).toEqual([
      { task: 'task-1', word: '/etc/hostname' },
      { task: 'task-1', word: beside },
      { task: 'task-1', word: 'out-link' },
    ])
  })

  it('leaves explicit inputs alone: a JSON line with "inputs", even an empty list', async () => {
    const { tasks } = await detect(
      [
        JSON.stringify({ run: 'cat data/part-1.bin', inputs: [] }),
        JSON.stringify({ run: 'cat data/part-1.bin', inputs: ['gzip'] }),
        JSON.stringify({ argv: ['cat', 'data/part-1.bin'] }),
      ].join('\n'),
    )
    expect(tasks.map((t) => t.inputs)).toEqual([[], ['gzip'], ['data/part-1.bin']])
  })
})
