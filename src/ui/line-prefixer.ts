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
      return this.partial.length > MAX_PARTIAL_CHARS ? this.breakLine('') : true
    }
    this.partial = text.slice(end + 1)
    const lines = text.slice(0, end).split('\n')
    return this.write(lines.map((line) => `${this.prefix}${line}\n`).join('')) !== false
  }

  /** Writes what is held; at the task's end, with any bytes left of a character cut short. */
  flush(): boolean {
    return this.breakLine(this.decoder.end())
  }

  // A line broken at the cap leaves the decoder as it is: the bytes of a character that the last
  // chunk cut in two stay there, to be joined with the next chunk's.
  private breakLine(undecoded: string): boolean {
    const rest = this.partial + undecoded
    this.partial = ''
    if (rest === '') return true
    return this.write(`${this.prefix}${rest}\n`) !== false
  }
}
