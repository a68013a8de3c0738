// The node's heap policy (src/daemon/heap-policy.ts) follows large uploads into a BlobStore: V8's
// growing factor is fixed while one streams in, and handed back to V8 once none does (stored or dropped);
// small uploads leave it alone. The V8 call itself is watched, not replaced.
import { createHash, randomBytes } from 'node:crypto'
import path from 'node:path'
import v8 from 'node:v8'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { BlobStore } from '../../src/daemon/blobs/blob-store.js'
import { BULK_BYTES, paceFullCollections } from '../../src/daemon/heap-policy.js'
import { CHUNK_BYTES } from '../../src/protocol/index.js'
import { tempDir } from '../helpers/cli.js'
import { storeUpload } from '../helpers/store-upload.js'

const growing = (): string[] =>
  vi
    .mocked(v8.setFlagsFromString)
    .mock.calls.map(([flags]) => flags)
    .filter((flags) => flags.startsWith('--heap-growing-percent'))

describe('heap policy', () => {
  afterEach(() => vi.restoreAllMocks())

  it('fixes the growing factor while a large upload streams in, and hands it back after (also when dropped)', async () => {
    paceFullCollections()
    vi.spyOn(v8, 'setFlagsFromString')
    const store = await BlobStore.open(path.join(await tempDir(), 'cache'))
    try {
      await storeUpload(store, randomBytes(CHUNK_BYTES))
      expect(growing()).toEqual([]) // small: left alone

      const large = randomBytes(BULK_BYTES + CHUNK_BYTES)
      const digest = createHash('sha256').update(large).digest('hex')
      for (let offset = 0; offset < large.length; offset += CHUNK_BYTES)
        await store.write('s1', digest, offset, large.subarray(offset, offset + CHUNK_BYTES), false)
      expect(growing()).toEqual(['--heap-growing-percent=300'])
      await store.write('s1', digest, large.length, Buffer.alloc(0), true)
      expect(growing()).toEqual(['--heap-growing-percent=300', '--heap-growing-percent=0'])

      // Two at once: handed back once both stopped, the second by its session going away.
      const other = randomBytes(BULK_BYTES)
      const otherDigest = createHash('sha256').update(other).digest('hex')
      for (const owner of ['s2', 's3'])
        for (let offset = 0; offset < other.length; offset += CHUNK_BYTES)
          await store.write(owner, otherDigest, offset, other.subarray(offset, offset + CHUNK_BYTES), false)
      await store.write('s2', otherDigest, other.length, Buffer.alloc(0), true)
      expect(growing().slice(2)).toEqual(['--heap-growing-percent=300'])
      store.abortOwner('s3')
      expect(growing().slice(2)).toEqual(['--heap-growing-percent=300', '--heap-growing-percent=0'])
    } finally {
      await store.close()
    }
  })
})
