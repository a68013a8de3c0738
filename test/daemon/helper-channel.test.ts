// The daemon ↔ spawn helper pipe's framing (src/daemon/run/helper-channel.mjs): JSON lines, a payload's
// bytes raw after its line, one write a turn. Tested on the bytes as they would arrive, cut anywhere.
import { Writable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { LineReader, LineWriter } from '../../src/daemon/run/helper-channel.mjs'
import { spawnJson } from '../../src/daemon/run/spawn-helper-client.js'

// What a writer writes in one turn for these messages, as the bytes the peer reads.
async function written(messages: [object, Buffer?][]): Promise<{ bytes: Buffer; writes: number }> {
  const chunks: Buffer[] = []
  let writes = 0
  // Like a socket: corked writes come together to _writev.
  const out = new Writable({
    decodeStrings: true,
    write(chunk: Buffer, _encoding, callback) {
      writes++
      chunks.push(chunk)
      callback()
    },
    writev(parts, callback) {
      writes++
      for (const { chunk } of parts) chunks.push(chunk as Buffer)
      callback()
    },
  })
  const writer = new LineWriter(out)
  for (const [message, data] of messages) writer.send(message, data)
  await new Promise((resolve) => setImmediate(resolve))
  return { bytes: Buffer.concat(chunks), writes }
}

function read(bytes: Buffer, cuts: number[]): { messages: unknown[]; broken: Error | undefined } {
  const messages: unknown[] = []
  let broken: Error | undefined
  const reader = new LineReader(
    (message: { n?: number }, data: Buffer | undefined) =>
      messages.push(data === undefined ? message : { ...message, data: data.toString('latin1') }),
    (error) => (broken = error),
  )
  let at = 0
  for (const cut of [...cuts, bytes.length]) {
    reader.push(bytes.subarray(at, cut))
    at = cut
  }
  return { messages, broken }
}

describe('helper channel', () => {
  const payload = Buffer.from(Array.from({ length: 70_000 }, (_, i) => i % 256))
  const messages: [object, Buffer?][] = [
    [{ op: 'spawn', id: 1, file: '/bin/sh', args: ['-c', 'echo é\n"x"'], env: { K: 'ü' } }],
    [{ op: 'out', id: 1, stream: 'stdout', n: 3 }, Buffer.from([10, 0, 255])],
    [{ op: 'out', id: 1, stream: 'stderr', n: payload.length }, payload],
    [{ op: 'out', id: 2, stream: 'stdout', n: 0 }, Buffer.alloc(0)],
    [{ op: 'close', id: 1, code: 0, signal: null }],
  ]
  const expected = messages.map(([m, data]) => (data === undefined ? m : { ...m, data: data.toString('latin1') }))

  it("writes a turn's messages in one write, and reads them back however the bytes are cut", async () => {
    const { bytes, writes } = await written(messages)
    expect(writes).toBe(1)
    expect(read(bytes, []).messages).toEqual(expected)
    // Cut at every byte of the lines and around the payloads' edges, and into pieces of every size.
    for (let cut = 1; cut < bytes.length; cut += cut < 400 || cut > bytes.length - 400 ? 1 : 997)
      expect(read(bytes, [cut]).messages).toEqual(expected)
    for (const size of [1, 7, 4096, 65_536]) {
      const cuts = Array.from({ length: Math.floor((bytes.length - 1) / size) }, (_, i) => (i + 1) * size)
      expect(read(bytes, cuts).messages).toEqual(expected)
    }
  })

  it('stops at a line that is not JSON, and says so', () => {
    const { messages, broken } = read(Buffer.from('{"op":"close","id":1}\nnot json\n{"op":"close","id":2}\n'), [])
    expect(messages).toEqual([{ op: 'close', id: 1 }])
    expect(broken).toBeInstanceOf(SyntaxError)
  })
})

// The spawn message is built as text (its environment's JSON kept for a frozen one): it must parse to
// what JSON.stringify of the message would, PWD set over the environment's as `{ ...env, PWD }` does.
describe('spawnJson', () => {
  const tree = { marker: 'm"1' }
  const parsed = (json: string): { env: unknown } => JSON.parse(json) as { env: unknown }
  it('parses to the message, PWD over the environment, for frozen and other environments', () => {
    const base = Object.freeze({ PATH: '/bin', HOME: '/h "q"', PWD: '/old' })
    for (let i = 0; i < 2; i++)
      expect(parsed(spawnJson(7, { file: 'a b', args: ['x', '"'], cwd: '/t\n', env: base, pwd: '/t\n', tree }))).toEqual({
        op: 'spawn',
        id: 7,
        file: 'a b',
        args: ['x', '"'],
        cwd: '/t\n',
        env: { PATH: '/bin', HOME: '/h "q"', PWD: '/t\n' },
        tree,
      })
    expect(parsed(spawnJson(1, { file: 'f', args: [], cwd: '/c', env: {}, pwd: '/c', tree })).env).toEqual({ PWD: '/c' })
    expect(parsed(spawnJson(1, { file: 'f', args: [], cwd: '/c', env: base, tree })).env).toEqual(base)
    // An environment that may change is serialised each time.
    const env: Record<string, string> = { A: '1' }
    expect(parsed(spawnJson(1, { file: 'f', args: [], cwd: '/c', env, tree })).env).toEqual({ A: '1' })
    env.A = '2'
    expect(parsed(spawnJson(1, { file: 'f', args: [], cwd: '/c', env, tree })).env).toEqual({ A: '2' })
  })
})
