// The digest cache across runs: an unchanged input is not hashed again, a changed one always is, a
// file written just before its hashing is not remembered, and a broken cache file costs nothing but
// the hashing. Real files, real stats.
import fs from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { DigestStore } from '../../src/transfer/digest-store.js'
import { HashCache, type FileToHash } from '../../src/transfer/hash.js'
import { distw, tempDir } from '../helpers/cli.js'

async function stat(absPath: string): Promise<FileToHash> {
  const st = await fs.stat(absPath)
  return { absPath, size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, ino: st.ino }
}

// A run of the submitter: a fresh HashCache over the store as it is on disk, saved afterwards.
async function run(storeFile: string, files: string[], racyMs = 0): Promise<{ digests: string[]; hashed: number }> {
  const store = await DigestStore.open(storeFile, { racyMs })
  const hashes = new HashCache(store)
  const digests = []
  for (const file of files) digests.push(await hashes.digest(await stat(file)))
  await store.save()
  return { digests, hashed: hashes.hashed }
}

describe('DigestStore', () => {
  it('a second run hashes nothing that did not change, and rehashes what did', async () => {
    const dir = await tempDir()
    const storeFile = path.join(dir, 'cache', 'digests.json')
    const [a, b] = [path.join(dir, 'a.bin'), path.join(dir, 'b.bin')]
    await fs.writeFile(a, 'first input')
    await fs.writeFile(b, 'second input')

    const first = await run(storeFile, [a, b])
    expect(first.hashed).toBe(2)
    const second = await run(storeFile, [a, b])
    expect(second).toEqual({ digests: first.digests, hashed: 0 })

    // Same size, new content: the stamp changes (mtime, ctime), so it is hashed again.
    await fs.writeFile(b, 'SECOND INPUT')
    const third = await run(storeFile, [a, b])
    expect(third.hashed).toBe(1)
    expect(third.digests[0]).toBe(first.digests[0])
    expect(third.digests[1]).not.toBe(first.digests[1])

    // A file replaced by another (new inode) with the old one's size and times is hashed again too.
    const c = path.join(dir, 'c.bin')
    await fs.writeFile(c, 'first INPUT')
    const old = await fs.stat(a)
    await fs.utimes(c, old.atime, old.mtime)
    await fs.rename(c, a)
    expect((await run(storeFile, [a])).hashed).toBe(1)
  })

  it('does not remember a file changed just before it was hashed (it could change again in the same tick)', async () => {
    const dir = await tempDir()
    const storeFile = path.join(dir, 'digests.json')
    const file = path.join(dir, 'fresh.bin')
    await fs.writeFile(file, 'just written')
    expect((await run(storeFile, [file], 60_000)).hashed).toBe(1)
    expect((await run(storeFile, [file], 60_000)).hashed).toBe(1)
    await expect(fs.stat(storeFile)).rejects.toThrow(/ENOENT/) // nothing worth saving
  })

  it('a corrupt or foreign cache file is an empty cache, and is written anew', async () => {
    const dir = await tempDir()
    const storeFile = path.join(dir, 'digests.json')
    const file = path.join(dir, 'in.bin')
    await fs.writeFile(file, 'content')
    for (const junk of ['{not json', '{"v":2,"entries":[]}', '{"v":1,"entries":[["x",1,2,3,4,"not-a-digest"]]}']) {
      await fs.writeFile(storeFile, junk)
      expect((await run(storeFile, [file])).hashed).toBe(1)
      expect((await run(storeFile, [file])).hashed).toBe(0)
      await fs.rm(storeFile)
    }
  })
})

describe('distw submit and the digest cache', () => {
  it('writes it under $XDG_CACHE_HOME, and not with --no-digest-cache', async () => {
    const cwd = await tempDir()
    const cacheHome = await tempDir()
    await fs.writeFile(path.join(cwd, 'data.txt'), 'data\n')
    const old = new Date(Date.now() - 60_000)
    await fs.utimes(path.join(cwd, 'data.txt'), old, old)
    const line = `${JSON.stringify({ run: 'cat data.txt > copy.txt', inputs: ['data.txt'] })}\n`
    const off = await distw(['submit', '-', '--no-digest-cache'], { cwd, input: line, env: { XDG_CACHE_HOME: cacheHome } })
    expect(off.exitCode).toBe(0)
    await expect(fs.readdir(cacheHome)).resolves.toEqual([])
    // utimes set the mtime back but the ctime to now, and a file changed within the last 2 s is not
    // remembered (the racy rule): wait that out, or a fast machine finishes both runs inside it.
    const { ctimeMs } = await fs.stat(path.join(cwd, 'data.txt'))
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, ctimeMs + 2100 - Date.now())))
    const on = await distw(['submit', '-'], { cwd, input: line, env: { XDG_CACHE_HOME: cacheHome } })
    expect(on.exitCode).toBe(0)
    const saved = JSON.parse(await fs.readFile(path.join(cacheHome, 'distw', 'digests.json'), 'utf8')) as { entries: unknown[][] }
    expect(saved.entries.map((e) => e[0])).toEqual([await fs.realpath(path.join(cwd, 'data.txt'))])
  })
})
