// A thread of the node's own that hashes and writes the bytes of large uploads, so that its main thread
// only receives them: on a busy node the main thread is the slower end of an upload (over TLS it also
// decrypts, and takes each TLS record as an event of its own), and SHA-256 was a quarter of its time.
import fs from 'node:fs/promises'
import { Worker } from 'node:worker_threads'

/** Where an upload's bytes go: hashed, then written to its file, in order. */
export interface UploadSink {
  /**
   * Hashes and writes `data`. With `spent` (a chunk of a frame just received, in the frame's own memory,
   * which nothing uses after) its memory may be moved to the thread rather than copied: `data` is then
   * empty after the call. Resolves when the caller may write more; undefined when at once.
   */
  write(data: Buffer, spent: boolean): Promise<void> | undefined
  /** Ends the file; resolves with the hex SHA-256 of every byte written. Rejects if writing failed. */
  end(): Promise<string>
  /** Stops and removes the file (also after a failure). */
  discard(): void
}

/** Bytes handed to the thread and not written yet before write() makes its caller wait. */
const BEHIND_BYTES = 4 * 1024 * 1024
/** A received chunk carries this little besides its data in its memory: that memory is moved, not copied. */
const MOVE_SLACK_BYTES = 64 * 1024

// The thread's code, CommonJS from a string: a single executable has no file to start a worker from.
// The thread hashes; the writes go on to libuv's pool as before, each at its place in the file, so
// hashing one chunk and writing the last run side by side (done on one thread, the two took turns,
// and a busy machine starved the pipeline). A file is closed once its last write has ended.
const THREAD_SOURCE = `
const { parentPort } = require('node:worker_threads')
const { createHash } = require('node:crypto')
const fs = require('node:fs')
const files = new Map()
function settle(id, f) {
  if (f.writing > 0 || !f.state) return
  files.delete(id)
  if (f.fd !== undefined) try { fs.closeSync(f.fd) } catch (error) { if (f.state === 'end' && !f.error) f.error = error }
  if (f.state === 'drop' || f.error) fs.rmSync(f.file, { force: true })
  if (f.state === 'end' && !f.error) parentPort.postMessage({ op: 'ended', id, digest: f.hash.digest('hex') })
}
function fail(id, f, error) {
  if (f.error) return
  f.error = error
  parentPort.postMessage({ op: 'failed', id, message: error.message, code: error.code })
}
parentPort.on('message', (m) => {
  let f = files.get(m.id)
  if (m.op === 'open') {
    f = { fd: undefined, hash: createHash('sha256'), file: m.file, at: 0, writing: 0, state: undefined, error: undefined }
    files.set(m.id, f)
    try { f.fd = fs.openSync(m.file, 'w', 0o600) } catch (error) { fail(m.id, f, error) }
  } else if (!f) {
    if (m.op === 'drop') fs.rmSync(m.file, { force: true })
  } else if (m.op === 'write') {
    if (f.error) return
    const data = Buffer.from(m.data, m.offset, m.length)
    f.hash.update(data)
    const at = f.at
    f.at += m.length
    f.writing++
    const written = (error) => {
      f.writing--
      if (error) fail(m.id, f, error)
      // The memory goes back: the main thread's frequent young collections free it soon, where this
      // thread, allocating next to nothing, would leave it to pile up until its heap's next collection.
      else parentPort.postMessage({ op: 'written', id: m.id, bytes: m.length, memory: m.data }, [m.data])
      settle(m.id, f)
    }
    writeAll(f.fd, data, at, written)
  } else if (m.op === 'end' || m.op === 'drop') {
    f.state = m.op
    settle(m.id, f)
  }
})
// fs.write may write less than asked (a signal, a full disk): the rest is written after it.
function writeAll(fd, data, at, done, from = 0) {
  fs.write(fd, data, from, data.length - from, at + from, (error, bytes) => {
    if (error || from + bytes >= data.length || bytes === 0) return done(error || (from + bytes < data.length ? new Error('no bytes written') : undefined), data.length)
    writeAll(fd, data, at, done, from + bytes)
  })
}
`

type Reply =
  | { op: 'written'; id: number; bytes: number; memory: ArrayBuffer }
  | { op: 'ended'; id: number; digest: string }
  | { op: 'failed'; id: number; message: string; code?: string }

interface Open {
  behind: number
  /** Resolves write()'s caller once the thread has caught up. */
  caughtUp: (() => void) | undefined
  ended: { resolve: (digest: string) => void; reject: (error: Error) => void } | undefined
  failure: Error | undefined
  failed: (error: Error) => void
}

export class UploadThread {
  private worker: Worker | undefined
  private readonly open = new Map<number, Open>()
  private nextId = 1

  /** A sink writing `file` (created, mode 600) on the thread; `failed` is called once if writing fails. */
  sink(file: string, failed: (error: Error) => void): UploadSink {
    const worker = this.start()
    const id = this.nextId++
    const state: Open = { behind: 0, caughtUp: undefined, ended: undefined, failure: undefined, failed }
    this.open.set(id, state)
    worker.ref()
    worker.postMessage({ op: 'open', id, file })
    return {
      write: (data, spent) => {
        if (state.failure) return undefined
        state.behind += data.length
        const moved = spent ? movable(data) : undefined
        const memory = moved ?? new Uint8Array(data).buffer
        worker.postMessage({ op: 'write', id, data: memory, offset: moved ? data.byteOffset : 0, length: data.length }, [memory])
        if (state.behind <= BEHIND_BYTES) return undefined
        return new Promise((resolve) => (state.caughtUp = resolve))
      },
      end: () => {
        if (state.failure) return Promise.reject(state.failure)
        worker.postMessage({ op: 'end', id })
        return new Promise((resolve, reject) => (state.ended = { resolve, reject }))
      },
      discard: () => {
        this.forget(id, state)
        state.ended?.reject(new Error('the upload was discarded'))
        // A thread that has ended closed the file; the file is still there.
        if (this.worker === worker) worker.postMessage({ op: 'drop', id, file })
        else void fs.rm(file, { force: true }).catch(() => {})
      },
    }
  }

  /** Ends the thread (the store is closing); sinks still open fail. */
  async close(): Promise<void> {
    const worker = this.worker
    this.worker = undefined
    if (worker) await worker.terminate()
  }

  private start(): Worker {
    if (this.worker) return this.worker
    const worker = new Worker(THREAD_SOURCE, { eval: true })
    worker.on('message', (reply: Reply) => this.reply(reply))
    // A thread that fails or exits takes its open files with it: each of their uploads fails.
    const lost = (error: Error): void => {
      if (this.worker === worker) this.worker = undefined
      for (const [id, state] of this.open) this.fail(id, state, error)
    }
    worker.on('error', lost)
    worker.on('exit', () => lost(new Error('the upload thread ended')))
    worker.unref()
    this.worker = worker
    return worker
  }

  private reply(reply: Reply): void {
    const state = this.open.get(reply.id)
    if (!state) return
    if (reply.op === 'written') {
      state.behind -= reply.bytes
      if (state.behind <= BEHIND_BYTES && state.caughtUp) {
        const caughtUp = state.caughtUp
        state.caughtUp = undefined
        caughtUp()
      }
    } else if (reply.op === 'ended') {
      this.forget(reply.id, state)
      state.ended?.resolve(reply.digest)
    } else {
      const error: NodeJS.ErrnoException = new Error(reply.message)
      if (reply.code !== undefined) error.code = reply.code
      this.fail(reply.id, state, error)
    }
  }

  private fail(id: number, state: Open, error: Error): void {
    this.forget(id, state) // wakes a writer waiting to catch up: its next write sees the failure
    state.failure = error
    state.ended?.reject(error)
    state.failed(error)
  }

  private forget(id: number, state: Open): void {
    if (!this.open.delete(id)) return
    state.caughtUp?.()
    state.caughtUp = undefined
    if (this.open.size === 0) this.worker?.unref()
  }
}

// The memory of a spent chunk, if it can be moved to the thread rather than copied: a large chunk in
// memory of its own (ws joins a frame's socket reads into a buffer of the frame's size: the chunk and its
// small msgpack envelope). A socket read is at most 64 KiB, so a chunk of MOVE_SLACK_BYTES or more never
// shares its memory with bytes of another frame. Anything smaller or in a larger memory is copied.
function movable(data: Buffer): ArrayBuffer | undefined {
  const memory = data.buffer
  if (!(memory instanceof ArrayBuffer) || data.length < MOVE_SLACK_BYTES) return undefined
  return memory.byteLength - data.length <= MOVE_SLACK_BYTES ? memory : undefined
}
