// Uploads a blob straight into a BlobStore, as a session named `owner` would over the wire: in chunks,
// then the final empty one. Resolves to its digest once the store has verified it.
import { createHash } from 'node:crypto'
import type { BlobStore } from '../../src/daemon/blobs/blob-store.js'
import { CHUNK_BYTES } from '../../src/protocol/index.js'

export async function storeUpload(store: BlobStore, data: Buffer, owner = 's1'): Promise<string> {
  const digest = createHash('sha256').update(data).digest('hex')
  for (let offset = 0; offset < data.length; offset += CHUNK_BYTES) {
    await store.write(owner, digest, offset, data.subarray(offset, offset + CHUNK_BYTES), false)
  }
  await store.write(owner, digest, data.length, Buffer.alloc(0), true)
  return digest
}
