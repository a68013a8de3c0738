// `distw run`'s input sources as GNU Parallel reads them: :::, ::::, :::+, -a, -0/-d, --colsep,
// --link, -N and -I, from the words to the task lines (real files; standard input as chunks).
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { splitAtCommand } from '../../src/command-words.js'
import Run from '../../src/commands/run.js'
import { lineChunks } from '../../src/tasks/line-chunks.js'
import { splitRunLine } from '../../src/tasks/run-line.js'
import { argumentSets, records, unescapeDelimiter } from '../../src/tasks/run-records.js'
import { runTaskLines, type RunInputOptions } from '../../src/tasks/run-tasks.js'

let cwd: string
beforeAll(async () => {
  cwd = await fs.mkdtemp(path.join(os.tmpdir(), 'distw-run-inputs-'))
  await fs.writeFile(path.join(cwd, 'names.txt'), 'x\ny\n')
  await fs.writeFile(path.join(cwd, 'pairs.csv'), 'a.jpg,small\nb.jpg,large\n')
})
afterAll(async () => {
  await fs.rm(cwd, { recursive: true, force: true })
})

async function* chunks(...parts: string[]): AsyncGenerator<string> {
  for (const part of parts) yield part
}

/** The shell line of each task `distw run WORDS` makes, standard input being `input` in pieces. */
async function runs(words: string[], options: RunInputOptions = {}, input: string[] = []): Promise<string[]> {
  const stdin = (delimiter: string) => lineChunks(chunks(...input), delimiter)
  const made = await runTaskLines(words, { cwd, stdin, ...options })
  let text = ''
  if (typeof made === 'string') text = made
  else for await (const part of made) text += `${part}\n`
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => (JSON.parse(line) as { run: string }).run)
}

describe('distw run input sources', () => {
  it('splits the words at :::, ::::, :::+ and ::::+, keeping the sources in the order written', () => {
    expect(splitRunLine(['cat', '{1}', ':::', 'a', 'b', '::::', 'f', 'g', ':::+', '1', '::::+', 'h'])).toEqual({
      template: ['cat', '{1}'],
      sources: [
        { kind: 'args', values: ['a', 'b'], linked: false },
        { kind: 'file', path: 'f', linked: false },
        { kind: 'file', path: 'g', linked: false },
        { kind: 'args', values: ['1'], linked: true },
        { kind: 'file', path: 'h', linked: true },
      ],
    })
  })

  it('combines sources as every pairing, first slowest; :::+ pairs with the one before (the shortest decides); --link wraps', async () => {
    expect(await runs(['echo', '{1}', '{2}', ':::', 'a', 'b', ':::', '1', '2'])).toEqual(['echo a 1', 'echo a 2', 'echo b 1', 'echo b 2'])
    expect(await runs(['echo', '{1}', '{2}', ':::', 'a', 'b', 'c', ':::+', '1', '2'])).toEqual(['echo a 1', 'echo b 2'])
    expect(await runs(['echo', '{1}', '{2}', ':::', 'a', 'b', 'c', ':::', '1', '2'], { link: true })).toEqual([
      'echo a 1',
      'echo b 2',
      'echo c 1',
    ])
    // A linked pair still combines with an unlinked third source.
    expect([...argumentSets([[['a'], ['b']], [['1'], ['2']], [['X']]], [false, true, false])]).toEqual([
      ['a', '1', 'X'],
      ['b', '2', 'X'],
    ])
  })

  it('a :::: file and -a FILE are sources read line by line, -a first; :::: - is standard input', async () => {
    expect(await runs(['echo', '{1}{2}', ':::', '1', '2'], { argFiles: ['names.txt'] })).toEqual([
      'echo x1',
      'echo x2',
      'echo y1',
      'echo y2',
    ])
    expect(await runs(['echo', ':::', 'p', '::::', '-'], {}, ['q\n', 'r\n'])).toEqual(['echo p q', 'echo p r'])
    await expect(runs(['echo', '::::', 'missing.txt'])).rejects.toThrow(/cannot read argument file missing.txt: ENOENT/)
  })

  it('-0 and -d split standard input and argument files at their delimiter, across chunks, as a stream', async () => {
    expect(await runs(['wc', '-c'], { delimiter: '\0' }, ['a b\0c\nd\0e', 'f\0'])).toEqual(["wc -c 'a b'", "wc -c 'c\nd'", 'wc -c ef'])
    expect(await runs(['echo'], { delimiter: unescapeDelimiter('\\t') }, ['1\t2\t3'])).toEqual(['echo 1', 'echo 2', 'echo 3'])
    expect(records('a,,b,', ',')).toEqual(['a', '', 'b'])
    expect(records('a\r\nb\r\n', '\n')).toEqual(['a', 'b'])
  })

  it('--colsep makes columns {1} {2} …; a missing column is empty', async () => {
    expect(await runs(['convert', '{1}', '-resize', '{2}', '::::', 'pairs.csv'], { colsep: /,/ })).toEqual([
      'convert a.jpg -resize small',
      'convert b.jpg -resize large',
    ])
    expect(await runs(['echo', '{2}', '{3}'], { colsep: /\t/ }, ['x\ty\n'])).toEqual(["echo y ''"])
  })

  it('-N puts N arguments in a task ({} all of them), the last one short; also from a stream', async () => {
    expect(await runs(['echo', ':::', 'a', 'b', 'c', 'd', 'e'], { maxArgs: 2 })).toEqual(['echo a b', 'echo c d', 'echo e'])
    expect(await runs(['diff', '{1}', '{2}'], { maxArgs: 2 }, ['a\nb\n', 'c\n'])).toEqual(['diff a b', "diff c ''"])
    expect(await runs(['echo', '{#}:{}', ':::', 'a', 'b', 'c'], { maxArgs: 3 })).toEqual(['echo 1:a b c'])
  })

  it('-I STR stands for {}', async () => {
    expect(await runs(['cp', '%', '%.bak', ':::', 'a b.txt'], { replace: '%' })).toEqual(["cp 'a b.txt' 'a b.txt'.bak"])
  })

  it('a position no source fills is refused with what to do, unless -N or --colsep make the count vary', async () => {
    await expect(runs(['echo', '{2}', ':::', 'a'])).rejects.toThrow('{2} names input source 2, but there is 1')
    await expect(runs(['echo', '{3}', ':::', 'a', ':::', 'b'])).rejects.toThrow('but there are 2')
    expect(await runs(['echo', '{2}', ':::', 'a'], { maxArgs: 2 })).toEqual(["echo ''"])
  })
})

describe("distw run's flags end where the command begins", () => {
  it('takes the value of a flag given by its name, alias, char or char alias, and leaves the command its own flags', () => {
    const words = ['-P', '2', '--max-procs', '3', '-a', 'f', '-0', '--xapply', '-n', '2', 'gzip', '-k', '{}']
    expect(splitAtCommand(words, Run.flags)).toEqual({ flags: words.slice(0, 10), words: ['gzip', '-k', '{}'] })
    expect(splitAtCommand(['-j4', 'sort', '-h', '--', 'x'], Run.flags)).toEqual({ flags: ['-j4'], words: ['sort', '-h', '--', 'x'] })
    expect(splitAtCommand(['-k', '--', 'sort', '-h'], Run.flags)).toEqual({ flags: ['-k'], words: ['sort', '-h'] })
  })
})
