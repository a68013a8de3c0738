// Where the cache can reflink into the task folders (here a loop-mounted btrfs), a task's copy of a blob
// shares its extents: an upload then writes its bytes once, with no spare copy, and a task that edits
// its input still leaves the cache as it was. Where it cannot (the cache on another file system), the
// upload goes straight into the cache too: a task's copy must be a copy anyway.
import { createHash, randomBytes } from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { BlobStore } from '../../src/daemon/blobs/blob-store.js'
import { startDaemon, type RunningDaemon } from '../../src/daemon/daemon.js'
import { CHUNK_BYTES } from '../../src/protocol/index.js'
import { submit } from '../../src/submit/submit.js'
import { tempDir } from '../helpers/cli.js'
import { storeUpload } from '../helpers/store-upload.js'
import { mountReflinkFs, reflinkFsUnavailable } from '../helpers/reflink-fs.js'

const skip = reflinkFsUnavailable()
if (skip) console.log(`skipping the reflink cache tests: ${skip}`)

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex')

describe.skipIf(skip !== undefined)('blob cache on a file system that reflinks', () => {
  let mount: Awaited<ReturnType<typeof mountReflinkFs>>
  let daemons: RunningDaemon[] = []
  beforeAll(async () => {
    mount = await mountReflinkFs()
  })
  afterEach(async () => {
    await Promise.all(daemons.map((d) => d.close()))
    daemons = []
  })
  afterAll(async () => {
    await mount?.unmount()
  })

  it('writes no spare copy when blobs can be reflinked into the task folders', async () => {
    const root = await fs.mkdtemp(path.join(mount.root, 'node-'))
    await fs.mkdir(path.join(root, 'tasks'))
    const store = await BlobStore.open(path.join(root, 'cache'), { taskRoot: path.join(root, 'tasks') })
    expect(store.reflinks).toBe(true)
    const data = randomBytes(2 * CHUNK_BYTES + 3)
    const digest = await storeUpload(store, data)
    expect(await fs.readdir(path.join(root, 'cache', 'spare'))).toEqual([])

    const dest = path.join(root, 'tasks', 'in.bin')
    await store.materialize(digest, dest, 0o644)
    expect((await fs.readFile(dest)).equals(data)).toBe(true)
    // A reflink shares extents but is a file of its own: the task's edit stays in its copy.
    await fs.appendFile(dest, 'changed')
    const cached = path.join(root, 'cache', 'blobs', digest.slice(0, 2), digest)
    expect(sha256(await fs.readFile(cached))).toBe(digest)
  })

  it('stores an upload at once when the task folders are on another file system (no file to lend)', async () => {
    const root = await fs.mkdtemp(path.join(mount.root, 'node-'))
    const store = await BlobStore.open(path.join(root, 'cache'), { taskRoot: await tempDir() })
    expect(store.reflinks).toBe(false)
    const digest = await storeUpload(store, randomBytes(CHUNK_BYTES + 1))
    expect(await fs.readdir(path.join(root, 'cache', 'spare'))).toEqual([])
    expect(store.has(digest)).toBe(true)
  })

  it('runs a batch whose inputs are reflinked, and says so when it starts', async () => {
    const events: { event: string; fields: Record<string, unknown> | undefined }[] = []
    const workDir = await fs.mkdtemp(path.join(mount.root, 'work-'))
    const daemon = await startDaemon({ port: 0, slots: 1, workDir, log: (event, fields) => events.push({ event, fields }) })
    daemons.push(daemon)
    expect(events.find((e) => e.event === 'listening')?.fields?.['reflinks']).toBe(true)
    const dir = await tempDir()
    const data = randomBytes(CHUNK_BYTES + 9)
    await fs.writeFile(path.join(dir, 'in.bin'), data)
    const task = { run: 'sha256sum in.bin > sum.txt; echo edited >> in.bin', inputs: ['in.bin'], outputs: ['sum.txt'] }
    const batch = await submit({
      tasks: `${JSON.stringify(task)}\n${JSON.stringify(task)}`,
      cwd: dir,
      peers: [daemon.url.replace('ws://', '')],
    })
    expect(batch.ok).toBe(true)
    // Both runs saw the uploaded bytes: the first task's edit did not reach the cache the second copied.
    expect((await fs.readFile(path.join(dir, 'sum.txt'), 'utf8')).split(' ')[0]).toBe(sha256(data))
    expect(batch.results.map((r) => r.bytesUp).sort()).toEqual([0, data.length])
  })
})
