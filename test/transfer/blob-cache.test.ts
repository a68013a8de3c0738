// The node's blob cache under a real daemon and real sockets: what a broken, forged or concurrent
// upload leaves behind, eviction, restarts, the upload lent to its first task (and the cache's copy made
// from it), that the cache never sees a task's edits, and that an input the node turns out to lack is
// sent again.
import { createHash, randomBytes } from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { BlobStore } from '../../src/daemon/blobs/blob-store.js'
import { startDaemon, type RunningDaemon } from '../../src/daemon/daemon.js'
import { CHUNK_BYTES } from '../../src/protocol/index.js'
import { NodeClient } from '../../src/client/node-client.js'
import { submit } from '../../src/submit/submit.js'
import { tempDir } from '../helpers/cli.js'
import { rawClient, type RawClient } from '../helpers/raw-client.js'
import { storeUpload } from '../helpers/store-upload.js'

let daemons: RunningDaemon[] = []
afterEach(async () => {
  await Promise.all(daemons.map((d) => d.close()))
  daemons = []
})

async function node(options: Parameters<typeof startDaemon>[0] = {}): Promise<RunningDaemon> {
  const daemon = await startDaemon({ port: 0, slots: 2, workDir: await tempDir('distw-node-'), ...options })
  daemons.push(daemon)
  return daemon
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex')
const blobFile = (cache: string, digest: string) => path.join(cache, 'blobs', digest.slice(0, 2), digest)
const tempFiles = (cache: string) => fs.readdir(path.join(cache, 'tmp'))
const spareFiles = (cache: string) => fs.readdir(path.join(cache, 'spare'))
const exists = (file: string) =>
  fs.access(file).then(
    () => true,
    () => false,
  )

// Sends a blob in chunks; `upTo` stops before the final chunk (an upload cut short).
async function upload(client: RawClient, digest: string, data: Buffer, upTo = data.length, final = true): Promise<void> {
  await client.send({ type: 'have', id: 1, blobs: [{ digest, size: data.length }] })
  await client.next('need')
  for (let offset = 0; offset < upTo; offset += CHUNK_BYTES) {
    await client.send({ type: 'blob', digest, offset, data: data.subarray(offset, Math.min(upTo, offset + CHUNK_BYTES)), final: false })
  }
  if (final) await client.send({ type: 'blob', digest, offset: upTo, data: Buffer.alloc(0), final: true })
}

async function waitFor(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 10_000
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

// A 1-slot node that has been sent a 3-chunk blob (after `prepare` ran on its cache folder), and a way to
// run a task on it that reports the inode of its copy of the blob (and then changes that copy).
async function uploadedTo(prepare?: (cache: string) => Promise<void>) {
  const daemon = await node({ slots: 1 })
  await prepare?.(path.join(daemon.workDir, 'cache'))
  const dir = await tempDir()
  const data = randomBytes(3 * CHUNK_BYTES + 5)
  const digest = sha256(data)
  await fs.writeFile(path.join(dir, 'in.bin'), data)
  const client = await NodeClient.connect(daemon.url, { client: 'test' })
  expect(await client.ensureBlobs([{ digest, size: data.length, absPath: path.join(dir, 'in.bin') }])).toBe(data.length)
  // Each task's in.bin is also linked here, so that its inode stays taken: ext4 hands a freed inode's number
  // to the next file made, and a later task's copy then had the number of an earlier task's removed file.
  const kept = await tempDir()
  const inodeSeen = async (task: string): Promise<number> => {
    const lease = (await client.reserve(1)) as string
    let reported = ''
    const exit = await client.run(
      {
        lease,
        task,
        name: task,
        command: { shell: `stat -c %i in.bin > ino.txt; ln in.bin ${kept}/${task}; echo changed >> in.bin` },
        env: {},
        files: [{ path: 'in.bin', digest, mode: 0o644 }],
        outputs: ['ino.txt'],
      },
      { onOutput: () => {}, onFile: async (m) => void (reported += m.data.toString()) },
    )
    expect(exit.exitCode).toBe(0)
    return Number(reported.trim())
  }
  return { daemon, client, digest, inodeSeen }
}

async function stillServes(daemon: RunningDaemon): Promise<void> {
  const dir = await tempDir()
  const batch = await submit({ tasks: 'echo ok > ok.txt', cwd: dir, peers: [daemon.url.replace('ws://', '')] })
  expect(batch.ok).toBe(true)
}

describe('blob cache', () => {
  it('leaves no blob and no temp file when an upload is cut mid-way', async () => {
    const daemon = await node()
    const cache = path.join(daemon.workDir, 'cache')
    const data = randomBytes(3 * CHUNK_BYTES + 77)
    const digest = sha256(data)
    const client = await rawClient(daemon.url)
    await upload(client, digest, data, 2 * CHUNK_BYTES, false)
    // The upload, written once: nothing in spare/ until it is verified.
    await waitFor(async () => (await tempFiles(cache)).length === 1, 'the upload to start')
    expect(await spareFiles(cache)).toEqual([])
    client.ws.terminate()
    await waitFor(async () => (await tempFiles(cache)).length + (await spareFiles(cache)).length === 0, 'the temp files to go')
    expect(await exists(blobFile(cache, digest))).toBe(false)
    // A new connection is told the node still lacks the blob.
    const again = await rawClient(daemon.url)
    await again.send({ type: 'have', id: 7, blobs: [{ digest, size: data.length }] })
    expect((await again.next('need')).digests).toEqual([digest])
    again.ws.close()
  })

  it('rejects a blob whose bytes do not match its digest, stores nothing, and keeps serving', async () => {
    const daemon = await node()
    const cache = path.join(daemon.workDir, 'cache')
    const claimed = sha256(Buffer.from('what the client says'))
    const client = await rawClient(daemon.url)
    await upload(client, claimed, randomBytes(CHUNK_BYTES + 5))
    const error = await client.next('error')
    expect(error.code).toBe('DISTW_ERR_BLOB_CORRUPT')
    expect(await client.closed).toBe(4412)
    expect(await exists(blobFile(cache, claimed))).toBe(false)
    await waitFor(async () => (await tempFiles(cache)).length === 0, 'the temp files to go')
    await stillServes(daemon)
  })

  it('keeps two sessions uploading the same blob at once apart, even when one breaks off', async () => {
    const daemon = await node()
    const cache = path.join(daemon.workDir, 'cache')
    const data = randomBytes(4 * CHUNK_BYTES + 3)
    const digest = sha256(data)
    const [a, b] = [await rawClient(daemon.url), await rawClient(daemon.url)]
    for (const c of [a, b]) {
      await c.send({ type: 'have', id: 1, blobs: [{ digest, size: data.length }] })
      expect((await c.next('need')).digests).toEqual([digest])
    }
    // Interleaved chunks of the same digest from both sessions; then `a` disappears mid-way.
    for (let offset = 0; offset < data.length; offset += CHUNK_BYTES) {
      const chunk = data.subarray(offset, offset + CHUNK_BYTES)
      if (offset < 2 * CHUNK_BYTES) await a.send({ type: 'blob', digest, offset, data: chunk, final: false })
      await b.send({ type: 'blob', digest, offset, data: chunk, final: false })
    }
    a.ws.terminate()
    await b.send({ type: 'blob', digest, offset: data.length, data: Buffer.alloc(0), final: true })
    await waitFor(() => exists(blobFile(cache, digest)), 'the blob to be stored')
    expect(sha256(await fs.readFile(blobFile(cache, digest)))).toBe(digest)
    // a's half upload is gone; b's spare copy waits for a task of b's, and goes with b's session.
    await waitFor(async () => (await tempFiles(cache)).length === 0 && (await spareFiles(cache)).length === 1, "a's temp files to go")
    b.ws.close()
    await waitFor(async () => (await spareFiles(cache)).length === 0, "b's spare to go")
  })

  it("moves an upload's spare copy into its first task's folder; later tasks get copies of the cache", async () => {
    const { daemon, client, digest, inodeSeen } = await uploadedTo()
    const cache = path.join(daemon.workDir, 'cache')
    try {
      // Sent is not yet stored: wait until the verified upload has left only its spare.
      await waitFor(async () => (await tempFiles(cache)).length === 0 && (await spareFiles(cache)).length === 1, 'the blob to be stored')
      const spareInode = (await fs.stat(path.join(cache, 'spare', (await spareFiles(cache))[0] as string))).ino
      expect(await inodeSeen('first')).toBe(spareInode)
      expect(await spareFiles(cache)).toEqual([])
      const second = await inodeSeen('second')
      expect(second).not.toBe(spareInode)
      expect(second).not.toBe((await fs.stat(blobFile(cache, digest))).ino)
      expect(sha256(await fs.readFile(blobFile(cache, digest)))).toBe(digest)
    } finally {
      client.close()
    }
  })

  it('stores an upload whose spare copy cannot be written, and gives its first task a copy', async () => {
    // spare/ replaced by a plain file: every spare fails to open (as on a disk too full for two copies).
    const { daemon, client, digest, inodeSeen } = await uploadedTo(async (cache) => {
      await fs.rm(path.join(cache, 'spare'), { recursive: true })
      await fs.writeFile(path.join(cache, 'spare'), '')
    })
    const cache = path.join(daemon.workDir, 'cache')
    try {
      await waitFor(() => exists(blobFile(cache, digest)), 'the blob to be stored')
      expect(sha256(await fs.readFile(blobFile(cache, digest)))).toBe(digest)
      const first = await inodeSeen('first')
      expect(first).not.toBe((await fs.stat(blobFile(cache, digest))).ino)
      expect(sha256(await fs.readFile(blobFile(cache, digest)))).toBe(digest)
      expect(await tempFiles(cache)).toEqual([])
    } finally {
      client.close()
    }
  })

  it('evicts the least recently used unpinned blobs, and keeps the cache across a restart', async () => {
    const cacheDir = await tempDir('distw-cache-')
    let daemon = await node({ cacheDir, cacheBytes: 3 * CHUNK_BYTES })
    const blobs = [0, 1, 2].map(() => randomBytes(CHUNK_BYTES + 10))
    const digests = blobs.map(sha256)
    // Each from its own short session, so nothing stays pinned: the third pushes the first out.
    for (const [i, data] of blobs.entries()) {
      const c = await rawClient(daemon.url)
      await upload(c, digests[i] as string, data)
      await waitFor(() => exists(blobFile(cacheDir, digests[i] as string)), 'the blob to be stored')
      c.ws.close()
      await c.closed
    }
    await waitFor(async () => !(await exists(blobFile(cacheDir, digests[0] as string))), 'eviction')
    expect(await exists(blobFile(cacheDir, digests[2] as string))).toBe(true)

    // A session that asked about blob 1 pins it: a big new blob evicts blob 2 instead, beyond the cap if need be.
    const pinner = await rawClient(daemon.url)
    await pinner.send({ type: 'have', id: 1, blobs: [{ digest: digests[1] as string, size: 1 }] })
    expect((await pinner.next('need')).digests).toEqual([])
    const big = randomBytes(3 * CHUNK_BYTES)
    const other = await rawClient(daemon.url)
    await upload(other, sha256(big), big)
    await waitFor(() => exists(blobFile(cacheDir, sha256(big))), 'the big blob')
    await waitFor(async () => !(await exists(blobFile(cacheDir, digests[2] as string))), 'eviction of blob 2')
    expect(await exists(blobFile(cacheDir, digests[1] as string))).toBe(true)
    // Unpinned by its session's end, blob 1 is now the oldest and goes; the big one stays.
    pinner.ws.close()
    await waitFor(async () => !(await exists(blobFile(cacheDir, digests[1] as string))), 'eviction of blob 1')
    other.ws.close()
    await other.closed

    await daemon.close()
    daemons = []
    daemon = await node({ cacheDir, cacheBytes: 100 * CHUNK_BYTES })
    const after = await rawClient(daemon.url)
    await after.send({ type: 'have', id: 2, blobs: [sha256(big), digests[0] as string].map((digest) => ({ digest, size: 1 })) })
    expect((await after.next('need')).digests).toEqual([digests[0]])
    after.ws.close()
  })

  it('sends no payload when the same batch is submitted again, and counts a shared input once', async () => {
    const daemon = await node()
    const dir = await tempDir()
    const exe = randomBytes(2 * CHUNK_BYTES + 11)
    await fs.writeFile(path.join(dir, 'tool.bin'), exe)
    await fs.writeFile(path.join(dir, 'a.txt'), 'alpha\n')
    const tasks = [1, 2, 3, 4].map((i) => JSON.stringify({ name: `t${i}`, run: `wc -c tool.bin > out${i}.txt`, inputs: ['tool.bin'] }))
    tasks.push(JSON.stringify({ name: 'a', run: 'cat a.txt > a.out', inputs: ['a.txt', 'tool.bin'] }))
    const peers = [daemon.url.replace('ws://', '')]
    const first = await submit({ tasks: tasks.join('\n'), cwd: dir, peers })
    expect(first.ok).toBe(true)
    expect(first.results.reduce((n, r) => n + r.bytesUp, 0)).toBe(exe.length + 6)
    expect(await fs.readFile(path.join(dir, 'out3.txt'), 'utf8')).toBe(`${exe.length} tool.bin\n`)
    const second = await submit({ tasks: tasks.join('\n'), cwd: dir, peers })
    expect(second.ok).toBe(true)
    expect(second.results.map((r) => r.bytesUp)).toEqual([0, 0, 0, 0, 0])
  })

  it('sends an input again when the node turns out to lack it, without failing the task or spending a retry', async () => {
    const daemon = await node({ slots: 1 })
    const cache = path.join(daemon.workDir, 'cache')
    const dir = await tempDir()
    const data = randomBytes(2 * CHUNK_BYTES + 3)
    const digest = sha256(data)
    await fs.writeFile(path.join(dir, 'data.bin'), data)
    const peers = [daemon.url.replace('ws://', '')]
    const task = (n: number) => JSON.stringify({ name: `t${n}`, run: `wc -c < data.bin > n${n}.txt`, inputs: ['data.bin'] })
    expect((await submit({ tasks: task(1), cwd: dir, peers })).ok).toBe(true)
    // The cache's copy (made from the file lent to t1), removed behind the node's back (a disk clean-up).
    await waitFor(() => exists(blobFile(cache, digest)), 'the blob to be stored')
    await fs.rm(blobFile(cache, digest))
    const again = await submit({ tasks: task(2), cwd: dir, peers })
    expect(again.ok).toBe(true)
    expect(again.results[0]).toMatchObject({ status: 'succeeded', attempts: 1, bytesUp: data.length })
    expect(await fs.readFile(path.join(dir, 'n2.txt'), 'utf8')).toBe(`${data.length}\n`)
  })

  it('keeps a lent input that its task changes out of the cache, and gives the other tasks the original', async () => {
    // Two tasks at once want one new input: the first is lent the uploaded file and changes it at once,
    // most likely before the cache's copy of it is made; the second then waits for that copy, which
    // fails its check, and gets the input sent again. Either way, no task and no cache sees the change.
    const daemon = await node({ slots: 2 })
    const cache = path.join(daemon.workDir, 'cache')
    const dir = await tempDir()
    const data = randomBytes(16 * CHUNK_BYTES)
    const digest = sha256(data)
    await fs.writeFile(path.join(dir, 'big.bin'), data)
    const tasks = ['a', 'b', 'c'].map((name) =>
      JSON.stringify({
        name,
        run: `echo changed >> big.bin; sha256sum < big.bin > ${name}.txt`,
        inputs: ['big.bin'],
        outputs: [`${name}.txt`],
      }),
    )
    const batch = await submit({ tasks: tasks.join('\n'), cwd: dir, peers: [daemon.url.replace('ws://', '')] })
    expect(batch.ok).toBe(true)
    const changed = sha256(Buffer.concat([data, Buffer.from('changed\n')]))
    for (const name of ['a', 'b', 'c']) expect(await fs.readFile(path.join(dir, `${name}.txt`), 'utf8')).toBe(`${changed}  -\n`)
    const sent = batch.results.reduce((n, r) => n + r.bytesUp, 0)
    expect([data.length, 2 * data.length]).toContain(sent)
    expect(batch.results.every((r) => r.attempts === 1)).toBe(true)
    await daemon.close()
    daemons = []
    if (await exists(blobFile(cache, digest))) expect(sha256(await fs.readFile(blobFile(cache, digest)))).toBe(digest)
  })

  it("stops promptly right after a lent upload's task, its cache copy maybe still running, and leaves no work folder", async () => {
    const daemon = await startDaemon({ port: 0, slots: 1 }) // a temp work folder of its own, removed on close
    const dir = await tempDir()
    await fs.writeFile(path.join(dir, 'big.bin'), randomBytes(64 * CHUNK_BYTES))
    const task = JSON.stringify({ run: 'true', inputs: ['big.bin'] })
    try {
      expect((await submit({ tasks: task, cwd: dir, peers: [daemon.url.replace('ws://', '')] })).ok).toBe(true)
    } finally {
      const started = performance.now()
      await daemon.close()
      expect(performance.now() - started).toBeLessThan(5000)
    }
    expect(await exists(daemon.workDir)).toBe(false)
  })

  it('stops lending uploads once a cache copy fails for another reason than a changed input', async () => {
    const root = await tempDir('distw-store-')
    await fs.mkdir(path.join(root, 'tasks'))
    const store = await BlobStore.open(path.join(root, 'cache'), { taskRoot: path.join(root, 'tasks') })
    // A plain file where the first blob's fan-out folder goes: its cache copy cannot be stored.
    const first = randomBytes(CHUNK_BYTES + 1)
    await fs.writeFile(path.join(root, 'cache', 'blobs', sha256(first).slice(0, 2)), '')
    const digest = await storeUpload(store, first)
    expect(await spareFiles(path.join(root, 'cache'))).toHaveLength(1)
    await waitFor(async () => !store.has(digest), 'the cache copy to fail')
    let second = randomBytes(CHUNK_BYTES + 2)
    while (sha256(second).slice(0, 2) === digest.slice(0, 2)) second = randomBytes(CHUNK_BYTES + 2)
    const next = await storeUpload(store, second)
    // Stored at once, not lent: no second spare, and the node has it.
    expect(await spareFiles(path.join(root, 'cache'))).toHaveLength(1)
    expect(store.has(next)).toBe(true)
    store.abortOwner('s1')
    await store.close()
  })

  it('gives each task its own copy: a task that edits an input does not change the cache', async () => {
    const daemon = await node({ slots: 1 })
    const dir = await tempDir()
    await fs.writeFile(path.join(dir, 'data.txt'), 'original\n')
    const digest = sha256(Buffer.from('original\n'))
    const peers = [daemon.url.replace('ws://', '')]
    const tasks = [
      JSON.stringify({ name: 'edit', run: 'echo tampered >> data.txt; chmod 000 data.txt', inputs: ['data.txt'], outputs: ['none'] }),
      JSON.stringify({ name: 'read', run: 'cat data.txt > seen.txt', inputs: ['data.txt'], after: ['edit'] }),
    ]
    const batch = await submit({ tasks: tasks.join('\n'), cwd: dir, peers })
    expect(batch.ok).toBe(true)
    expect(await fs.readFile(path.join(dir, 'seen.txt'), 'utf8')).toBe('original\n')
    const cached = blobFile(path.join(daemon.workDir, 'cache'), digest)
    expect(await fs.readFile(cached, 'utf8')).toBe('original\n')
  })
})
