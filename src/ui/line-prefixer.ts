// Splits a stream of chunks into whole lines, so output from tasks running at once interleaves by
// line, never mid-line. A trailing partial line is held until its newline or flush().
export class LinePrefixer {
  private partial = ''

  constructor(
    private readonly prefix: string,
    private readonly write: (text: string) => void,
  ) {}

  push(data: Buffer): void {
    const text = this.partial + data.toString('utf8')
    const end = text.lastIndexOf('\n')
    if (end === -1) {
      this.partial = text
      return
    }
    this.partial = text.slice(end + 1)
    const lines = text.slice(0, end).split('\n')
    this.write(lines.map((line) => `${this.prefix}${line}\n`).join(''))
  }

  flush(): void {
    if (this.partial === '') return
    this.write(`${this.prefix}${this.partial}\n`)
    this.partial = ''
  }
}
