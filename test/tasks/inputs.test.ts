import { execFileSync } from 'node:child_process'
import { chmod, mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { UserError } from '../../src/errors.js'
import { parseTasks, resolveAllInputs, resolveInputs, TaskFileError, type ResolvedInput, type TaskSpec } from '../../src/tasks/index.js'
import { taskSpec } from '../helpers/task-spec.js'

// Each test gets a fresh submit folder `base` and, beside it, a folder `outside` it must not reach.
let root: string
let base: string
let outside: string

beforeEach(async () => {
  root = await realpath(await mkdtemp(path.join(os.tmpdir(), 'distw-inputs-')))
  base = path.join(root, 'base')
  outside = path.join(root, 'outside')
  await mkdir(base)
  await mkdir(outside)
  await writeFile(path.join(outside, 'secret.txt'), 'secret')
})

afterEach(async () => {
  await rm(root, { recursive: true, force: true })
})

// Creates files under base: { 'a/b.txt': 'content' }.
async function files(tree: Record<string, string>): Promise<void> {
  for (const [rel, content] of Object.entries(tree)) {
    await mkdir(path.dirname(path.join(base, rel)), { recursive: true })
    await writeFile(path.join(base, rel), content)
  }
}

const task = (inputs: string[], line = 3, name = 'job'): TaskSpec => taskSpec({ line, name, command: { shell: 'true' }, inputs })

const paths = (resolved: ResolvedInput[]): string[] => resolved.map((r) => r.path)

async function failure(inputs: string[]): Promise<UserError> {
  try {
    await resolveInputs(task(inputs), base)
  } catch (err) {
    if (err instanceof UserError) return err
    throw err
  }
  throw new Error('resolveInputs accepted inputs that should fail')
}

const mkfifo = (p: string): void => {
  execFileSync('mkfifo', [p])
}

describe('resolveInputs: what an entry names', () => {
  it('resolves a file with its size, mode and where to read it', async () => {
    await files({ render: '#!/bin/sh\necho hi\n' })
    await chmod(path.join(base, 'render'), 0o755)
    const [input, ...rest] = await resolveInputs(task(['render']), base)
    expect(rest).toEqual([])
    expect(input).toEqual({
      path: 'render',
      absPath: path.join(base, 'render'),
      size: 18,
      mode: 0o755,
      mtimeMs: expect.any(Number),
      ctimeMs: expect.any(Number),
      ino: expect.any(Number),
    })
  })

  it('normalises the path as written', async () => {
    await files({ 'bin/render': 'x' })
    expect(paths(await resolveInputs(task(['./bin//render']), base))).toEqual(['bin/render'])
    expect(paths(await resolveInputs(task(['bin/../bin/render']), base))).toEqual(['bin/render'])
  })

  it('takes a folder whole, recursively, hidden files included, sorted', async () => {
    await files({ 'scene/b.obj': 'b', 'scene/a/tex.png': 'png', 'scene/.hidden': 'h', 'scene/a/deep/x': 'x', other: 'o' })
    expect(paths(await resolveInputs(task(['scene/']), base))).toEqual([
      'scene/.hidden',
      'scene/a/deep/x',
      'scene/a/tex.png',
      'scene/b.obj',
    ])
  })

  it('takes the whole submit folder for "."', async () => {
    await files({ a: '1', 'd/b': '2' })
    expect(paths(await resolveInputs(task(['.']), base))).toEqual(['a', 'd/b'])
  })

  it('expands globs, matching hidden files', async () => {
    await files({ 'scene/x.obj': '', 'scene/sub/y.obj': '', 'scene/.z.obj': '', 'scene/readme.md': '', 'top.obj': '' })
    expect(paths(await resolveInputs(task(['scene/**/*.obj']), base))).toEqual(['scene/.z.obj', 'scene/sub/y.obj', 'scene/x.obj'])
    expect(paths(await resolveInputs(task(['*.obj']), base))).toEqual(['top.obj'])
    expect(paths(await resolveInputs(task(['scene/{x,sub/y}.obj']), base))).toEqual(['scene/sub/y.obj', 'scene/x.obj'])
  })

  it('takes folders that a glob matches whole', async () => {
    await files({ 'data/a.csv': '', 'data/2024/b.csv': '', 'data/2024/q1/c.csv': '' })
    expect(paths(await resolveInputs(task(['data/*']), base))).toEqual(['data/2024/b.csv', 'data/2024/q1/c.csv', 'data/a.csv'])
    expect(paths(await resolveInputs(task(['data/**']), base))).toEqual(['data/2024/b.csv', 'data/2024/q1/c.csv', 'data/a.csv'])
  })

  it('takes a path that exists literally even when it looks like a glob', async () => {
    await files({ 'frame[1].png': 'literal', 'frame1.png': 'glob match' })
    expect(paths(await resolveInputs(task(['frame[1].png']), base))).toEqual(['frame[1].png'])
  })

  it('deduplicates files named by several entries', async () => {
    await files({ render: 'r', 'scene/a': 'a', 'scene/b': 'b' })
    const resolved = await resolveInputs(task(['render', './render', 'scene', 'scene/*', 'scene/a']), base)
    expect(paths(resolved)).toEqual(['render', 'scene/a', 'scene/b'])
  })

  it('returns nothing for a task without inputs', async () => {
    expect(await resolveInputs(task([]), base)).toEqual([])
  })

  it('accepts names with spaces and Unicode', async () => {
    await files({ 'my scene/ünïcödé 渲染.txt': 'x' })
    expect(paths(await resolveInputs(task(['my scene']), base))).toEqual(['my scene/ünïcödé 渲染.txt'])
    expect(paths(await resolveInputs(task(['my scene/*.txt']), base))).toEqual(['my scene/ünïcödé 渲染.txt'])
  })
})

describe('resolveInputs: symlinks', () => {
  it('reads a symlink to a file inside the folder from its target, under the link path', async () => {
    await files({ 'real/tool': 'twelve bytes' })
    await symlink('real/tool', path.join(base, 'tool'))
    expect(await resolveInputs(task(['tool']), base)).toEqual([
      {
        path: 'tool',
        absPath: path.join(base, 'real/tool'),
        size: 12,
        mode: expect.any(Number),
        mtimeMs: expect.any(Number),
        ctimeMs: expect.any(Number),
        ino: expect.any(Number),
      },
    ])
  })

  it('follows symlinks to files found in folders and globs', async () => {
    await files({ 'lib/v2.so': 'so' })
    await symlink('../lib/v2.so', path.join(base, 'lib', 'current.so'))
    expect(paths(await resolveInputs(task(['lib']), base))).toEqual(['lib/current.so', 'lib/v2.so'])
    expect(paths(await resolveInputs(task(['lib/*.so']), base))).toEqual(['lib/current.so', 'lib/v2.so'])
  })

  it('follows a symlink to a folder inside the submit folder', async () => {
    await files({ 'datasets/v3/a': 'a' })
    await symlink('datasets/v3', path.join(base, 'latest'))
    expect(paths(await resolveInputs(task(['latest']), base))).toEqual(['latest/a'])
  })

  it('refuses a symlink to a file outside the submit folder', async () => {
    await symlink(path.join(outside, 'secret.txt'), path.join(base, 'leak'))
    expect((await failure(['leak'])).message).toBe(
      `job (line 3): input "leak" is a symlink to "${path.join(outside, 'secret.txt')}", outside the submit folder; copy the file in instead`,
    )
  })

  it('refuses a relative symlink climbing out, inside a folder', async () => {
    await files({ 'data/ok': 'ok' })
    await symlink('../../outside/secret.txt', path.join(base, 'data', 'leak'))
    expect((await failure(['data'])).message).toMatch(
      /^job \(line 3\): input "data": "data\/leak" is a symlink to ".*secret\.txt", outside the submit folder/,
    )
  })

  it('refuses a symlink leading out that a glob matches, without crawling through it', async () => {
    await files({ 'data/ok.txt': 'ok' })
    await symlink(outside, path.join(base, 'data', 'out'))
    expect((await failure(['data/*'])).message).toMatch(
      /^job \(line 3\): input "data\/\*": "data\/out" is a symlink to ".*outside", outside the submit folder/,
    )
    // A pattern that does not match the link is not affected by it.
    expect(paths(await resolveInputs(task(['data/*.txt']), base))).toEqual(['data/ok.txt'])
  })

  it('refuses a path that reaches outside through a symlinked folder', async () => {
    await symlink(outside, path.join(base, 'ext'))
    expect((await failure(['ext/secret.txt'])).message).toBe(
      'job (line 3): input "ext/secret.txt" is outside the submit folder (through a symlinked folder)',
    )
    expect((await failure(['ext/*.txt'])).message).toMatch(/input "ext\/\*\.txt": "ext\/secret\.txt" is outside the submit folder/)
  })

  it('refuses a symlink loop', async () => {
    await files({ 'tree/a': 'a' })
    await symlink('..', path.join(base, 'tree', 'up'))
    expect((await failure(['tree'])).message).toBe(
      'job (line 3): input "tree": "tree/up" is a symlink back into a folder that contains it (a loop)',
    )
  })

  it('refuses a broken symlink', async () => {
    await symlink('nowhere', path.join(base, 'dangling'))
    expect((await failure(['dangling'])).message).toBe('job (line 3): input "dangling" is a broken symlink (its target does not exist)')
  })
})

describe('resolveInputs: refused and missing', () => {
  it('reports a missing file', async () => {
    expect((await failure(['render'])).message).toBe('job (line 3): input "render" not found')
  })

  it('reports a glob that matches nothing', async () => {
    await files({ 'scene/a.txt': '' })
    expect((await failure(['scene/*.obj'])).message).toBe('job (line 3): input "scene/*.obj" matches no file')
  })

  it('reports an empty folder', async () => {
    await mkdir(path.join(base, 'empty'))
    expect((await failure(['empty'])).message).toBe('job (line 3): input "empty" is a folder with no files in it')
  })

  it('refuses paths escaping with .. and absolute paths, even when they exist', async () => {
    const err = await failure(['../outside/secret.txt', path.join(outside, 'secret.txt'), 'a/../../x'])
    expect(err.message.split('\n')).toEqual([
      'job (line 3): input "../outside/secret.txt" leaves the folder with ".."; only files inside it can be used',
      `job (line 3): input "${path.join(outside, 'secret.txt')}" is absolute; write it relative to the folder you submit from`,
      'job (line 3): input "a/../../x" leaves the folder with ".."; only files inside it can be used',
    ])
    expect(err.hint).toMatch(/relative to the folder you submit from/)
  })

  it('refuses a FIFO named directly, inside a folder, or matched by a glob', async () => {
    await files({ 'q/ok': 'ok' })
    mkfifo(path.join(base, 'q', 'pipe'))
    expect((await failure(['q/pipe'])).message).toBe(
      'job (line 3): input "q/pipe" is a FIFO (named pipe); only regular files, folders and symlinks to them can be inputs',
    )
    expect((await failure(['q'])).message).toBe(
      'job (line 3): input "q": "q/pipe" is a FIFO (named pipe); only regular files, folders and symlinks to them can be inputs',
    )
    expect((await failure(['q/*'])).message).toBe(
      'job (line 3): input "q/*": "q/pipe" is a FIFO (named pipe); only regular files, folders and symlinks to them can be inputs',
    )
  })

  it('refuses a symlink to a FIFO', async () => {
    mkfifo(path.join(base, 'pipe'))
    await symlink('pipe', path.join(base, 'link'))
    expect((await failure(['link'])).message).toBe(
      'job (line 3): input "link" is a symlink to a FIFO (named pipe); only regular files, folders and symlinks to them can be inputs',
    )
  })

  it('refuses a socket and a device', async () => {
    const sock = path.join(base, 'sock')
    const server = net.createServer()
    await new Promise<void>((resolve) => server.listen(sock, resolve))
    try {
      expect((await failure(['sock'])).message).toBe(
        'job (line 3): input "sock" is a socket; only regular files, folders and symlinks to them can be inputs',
      )
    } finally {
      await new Promise((resolve) => server.close(resolve))
    }
    await symlink('/dev/null', path.join(base, 'null'))
    expect((await failure(['null'])).message).toMatch(/input "null" is a symlink to "\/dev\/null", outside the submit folder/)
  })

  it('reports every problem of a task at once', async () => {
    await files({ ok: 'ok' })
    const err = await failure(['ok', 'missing', '*.nope', '/abs'])
    expect(err.message.split('\n')).toEqual([
      'job (line 3): input "missing" not found',
      'job (line 3): input "*.nope" matches no file',
      'job (line 3): input "/abs" is absolute; write it relative to the folder you submit from',
    ])
  })

  it('reports a submit folder that does not exist', async () => {
    await expect(resolveInputs(task(['a']), path.join(root, 'nope'))).rejects.toThrow(/cannot read the submit folder/)
  })
})

describe('resolveAllInputs', () => {
  it('maps each task name to its inputs', async () => {
    await files({ render: 'r', 'scene/a': 'a', 'scene/b': 'b' })
    const tasks = parseTasks(
      [
        'echo no inputs',
        '{"name":"f1","run":"./render 1","inputs":["render","scene/**"]}',
        '{"name":"f2","run":"./render 2","inputs":"render"}',
      ].join('\n'),
      'tasks.txt',
    )
    const map = await resolveAllInputs(tasks, base, 'tasks.txt')
    expect([...map.keys()]).toEqual(['task-1', 'f1', 'f2'])
    expect(map.get('task-1')).toEqual([])
    expect(paths(map.get('f1') ?? [])).toEqual(['render', 'scene/a', 'scene/b'])
    expect(paths(map.get('f2') ?? [])).toEqual(['render'])
  })

  it('collects the input problems of every task into one line-numbered TaskFileError', async () => {
    await files({ render: 'r' })
    mkfifo(path.join(base, 'fifo'))
    const tasks = parseTasks(
      [
        '# inputs',
        '{"name":"ok","run":"x","inputs":"render"}',
        '{"name":"frame 2","run":"x","inputs":["render","scene/**"]}',
        'echo between',
        '{"run":"x","inputs":["missing.bin","fifo"]}',
      ].join('\n'),
      'tasks.txt',
    )
    let err: unknown
    try {
      await resolveAllInputs(tasks, base, 'tasks.txt')
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(TaskFileError)
    const e = err as TaskFileError
    expect(e.message.split('\n')).toEqual([
      'tasks.txt:3: frame 2: input "scene/**" matches no file',
      'tasks.txt:5: task-5: input "missing.bin" not found',
      'tasks.txt:5: task-5: input "fifo" is a FIFO (named pipe); only regular files, folders and symlinks to them can be inputs',
    ])
    expect(e.problems.map((p) => p.line)).toEqual([3, 5, 5])
    expect(e.hint).toMatch(/relative to the folder you submit from/)
  })

  it('shares the work for inputs many tasks name', async () => {
    await files({ render: 'r' })
    const tasks = Array.from({ length: 2000 }, (_, i) => task(['render', 'render'], i + 1, `t${i}`))
    const map = await resolveAllInputs(tasks, base, 'api')
    expect(map.size).toBe(2000)
    expect(map.get('t1999')).toEqual(map.get('t0'))
  })
})
