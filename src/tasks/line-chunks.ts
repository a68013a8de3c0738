// A byte stream (standard input) as whole lines, as soon as they arrive: each string it yields holds
// the complete lines of what was read (its last newline included), never half a line or half a
// character; what follows the last newline waits for the next read, or for the end. Another
// delimiter (`distw run -0`: NUL) makes records of it the same way.
import { StringDecoder } from 'node:string_decoder'

export async function* lineChunks(input: AsyncIterable<Buffer | string>, delimiter = '\n'): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8')
  let rest = ''
  for await (const chunk of input) {
    const text = rest + (typeof chunk === 'string' ? chunk : decoder.write(chunk))
    const cut = text.lastIndexOf(delimiter)
    if (cut === -1) {
      rest = text
      continue
    }
    rest = text.slice(cut + delimiter.length)
    yield text.slice(0, cut + delimiter.length)
  }
  const last = rest + decoder.end()
  if (last !== '') yield last
}

/** All of it, as one string (for a use that needs the whole input, such as `:::: -`). */
export async function readAll(chunks: AsyncIterable<string>): Promise<string> {
  let text = ''
  for await (const chunk of chunks) text += chunk
  return text
}
