// Paths from the wire, in both directions: hostile input names close the connection before anything
// runs; links a task creates come back as "skipped", never followed; the submitter never writes
// through a symlink below its destination.
import fs from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { submit } from '../../src/submit/submit.js'
import { FileSink } from '../../src/transfer/file-sink.js'
import { authenticated, closed, marker, node, scratch, send, stillServes } from './harness.js'

const digest = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' // the empty file

describe('hostile paths', () => {
  it('refuses input names ../x, /etc/x, ..\\x, C:\\x and NUL: the connection closes and nothing runs', async () => {
    const d = await node()
    const m = await marker()
    for (const bad of ['../x', '/etc/x', '..\\x', 'C:\\x', 'C:x', 'a/\u0000/b', 'a//b', './a', 'a/../../b']) {
      const ws = await authenticated(d.url)
      const code = closed(ws)
      send(ws, { type: 'reserve', id: 1, slots: 1 })
      await new Promise((r) => ws.once('message', r))
      send(ws, {
        type: 'run',
        lease: 'any',
        task: 't',
        name: 'n',
        command: { shell: `touch ${m.file}` },
        env: {},
        files: [{ path: bad, digest, mode: 0o644 }],
        outputs: [],
      })
      expect(await code, bad).toBe(4422)
    }
    expect(await m.ran()).toBe(false)
    await stillServes(d)
  })

  it('refuses a symlink input pointing outside, and a file through it, before anything is sent', async () => {
    const d = await node()
    const outside = await scratch('distw-outside-')
    await fs.writeFile(path.join(outside, 'secret.txt'), 'private')
    const dir = await scratch()
    await fs.symlink(outside, path.join(dir, 'link'))
    const m = await marker()
    await expect(
      submit({ tasks: JSON.stringify({ run: `touch ${m.file}`, inputs: ['link', 'link/secret.txt'] }), cwd: dir, peers: [d.url.slice(5)] }),
    ).rejects.toThrow(/outside the submit folder/)
    expect(await m.ran()).toBe(false)
  })

  it('returns links a task creates (out -> /etc/passwd, ../../.bashrc) as skipped and follows none', async () => {
    const d = await node()
    const dir = await scratch()
    const before = await fs.readFile('/etc/passwd', 'utf8')
    const batch = await submit({
      tasks: 'ln -s /etc/passwd out && ln -s ../../.bashrc rc && mkdir d && ln -s / d/root && mkfifo pipe && echo fine > ok.txt',
      cwd: dir,
      peers: [d.url.slice(5)],
    })
    const [result] = batch.results
    expect(result?.status).toBe('succeeded')
    expect(result?.files).toEqual(['ok.txt'])
    expect(result?.skipped.map((s) => s.path).sort()).toEqual(['d/root', 'out', 'pipe', 'rc'])
    for (const name of ['out', 'rc', 'pipe', 'd']) await expect(fs.lstat(path.join(dir, name))).rejects.toThrow(/ENOENT/)
    expect(await fs.readFile('/etc/passwd', 'utf8')).toBe(before)
    await stillServes(d)
  })

  it('the submitter refuses to write through a symlinked folder below its destination; the task fails, the node stays', async () => {
    const d = await node()
    const dir = await scratch()
    const outside = await scratch('distw-outside-')
    await fs.symlink(outside, path.join(dir, 'sub'))
    const batch = await submit({ tasks: 'mkdir sub && echo pwned > sub/file.txt', cwd: dir, peers: [d.url.slice(5)] })
    expect(batch.results[0]?.status).toBe('failed')
    expect(batch.results[0]?.reason).toMatch(/symbolic link/)
    expect(await fs.readdir(outside)).toEqual([])
    await stillServes(d)
  })

  it('FileSink replaces a link at the destination instead of writing through it', async () => {
    const dir = await scratch()
    const outside = await scratch('distw-outside-')
    await fs.writeFile(path.join(outside, 'target'), 'original')
    await fs.symlink(path.join(outside, 'target'), path.join(dir, 'f'))
    const sink = new FileSink(dir)
    await expect(sink.write('f', 0, Buffer.from('new'), true, 0o644)).rejects.toThrow(/not a regular file/)
    expect(await fs.readFile(path.join(outside, 'target'), 'utf8')).toBe('original')
    await expect(sink.write('../escape', 0, Buffer.from('x'), true, 0o644)).rejects.toThrow(/refused path/)
    await sink.abort()
  })
})
