import { Writable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { writableAgain } from '../../src/transfer/writable-again.js'

// A stream that takes each write 20 ms to finish: behind after its first write.
function slowStream(): Writable {
  return new Writable({ highWaterMark: 1, write: (_chunk, _encoding, done) => void setTimeout(done, 20) })
}

describe('writableAgain', () => {
  it('gives every writer waiting at once the same wait: one listener per event, all resolved on drain', async () => {
    const stream = slowStream()
    const warnings: Error[] = []
    const onWarning = (w: Error): void => void warnings.push(w)
    process.on('warning', onWarning)
    try {
      const waits: Promise<void>[] = []
      for (let i = 0; i < 50; i++) if (!stream.write('x')) waits.push(writableAgain(stream))
      expect(waits.length).toBe(50)
      expect(stream.listenerCount('drain')).toBe(1)
      await Promise.all(waits)
      expect(stream.listenerCount('drain')).toBe(0)
      expect(stream.write('y')).toBe(false)
      await writableAgain(stream) // a later wait is a new one, and ends too
      await new Promise((resolve) => setImmediate(resolve))
      expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([])
    } finally {
      process.off('warning', onWarning)
    }
  })

  it('ends the wait when the stream is destroyed instead of draining', async () => {
    const stream = slowStream()
    stream.write('x')
    const wait = writableAgain(stream)
    stream.destroy()
    await wait
    expect(stream.listenerCount('close')).toBe(0)
  })
})
