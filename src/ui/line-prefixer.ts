// Splits a stream of chunks into whole lines, so output from tasks running at once interleaves by
// line, never mid-line. A trailing partial line is held until its newline or flush(), but never more
// than MAX_PARTIAL_CHARS of it: a task printing gigabytes without a newline must not fill memory.
import { StringDecoder } from 'node:string_decoder'

const MAX_PARTIAL_CHARS = 64 * 1024

export class LinePrefixer {
  private partial = ''
  private readonly decoder = new StringDecoder('utf8')

  constructor(
    private readonly prefix: string,
    private readonly write: (text: string) => boolean | void,
  ) {}

  /** Writes the whole lines; returns false when the writer asked to slow down (as stream.write does). */
  push(data: Buffer): boolean {
    const text = this.partial + this.decoder.write(data)
    const end = text.lastIndexOf('\n')
    if (end === -1) {
      this.partial = text
      return this.partial.length > MAX_PARTIAL_CHARS ? this.flush() : true
    }
    this.partial = text.slice(end + 1)
    const lines = text.slice(0, end).split('\n')
    return this.write(lines.map((line) => `${this.prefix}${line}\n`).join('')) !== false
  }

  flush(): boolean {
    const rest = this.partial + this.decoder.end()
    this.partial = ''
    if (rest === '') return true
    return this.write(`${this.prefix}${rest}\n`) !== false
  }
}
