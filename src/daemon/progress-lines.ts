// Picks `::distw::progress 45 encoding` lines out of a task's stdout. Only a line that could still
// become a progress line is held back (so ordinary output is forwarded at once, partial lines
// included), and never more than PROGRESS_LINE_MAX bytes: a longer line is forwarded as it is.

export const PROGRESS_MARKER = '::distw::progress'
/** Longest progress line held back while waiting for its newline. */
export const PROGRESS_LINE_MAX = 4096
/** Longest status text kept from a progress line. */
export const PROGRESS_TEXT_MAX = 200

const MARKER = Buffer.from(PROGRESS_MARKER)
const LINE = /^::distw::progress[ \t]+(\d{1,3}(?:\.\d+)?)%?(?:[ \t]+(.*?))?\r?$/

export interface Progress {
  percent: number
  text: string
}

/** Parses one complete line (without its newline); undefined when it is not a well-formed progress line. */
export function parseProgressLine(line: string): Progress | undefined {
  const match = LINE.exec(line)
  if (!match) return undefined
  const percent = Math.min(100, Number(match[1]))
  return { percent, text: (match[2] ?? '').trim().slice(0, PROGRESS_TEXT_MAX) }
}

export class ProgressSplitter {
  private held: Buffer = Buffer.alloc(0)
  private passing = false

  constructor(private readonly onProgress: (progress: Progress) => void) {}

  /** Takes a chunk of stdout; returns the bytes to forward as output (progress lines removed). */
  push(data: Buffer): Buffer[] {
    const out: Buffer[] = []
    while (data.length > 0) {
      const newline = data.indexOf(0x0a)
      if (this.passing) {
        if (newline === -1) {
          out.push(data)
          break
        }
        out.push(data.subarray(0, newline + 1))
        data = data.subarray(newline + 1)
        this.passing = false
        continue
      }
      const line = Buffer.concat([this.held, newline === -1 ? data : data.subarray(0, newline)])
      if (!couldBeMarker(line)) {
        out.push(this.held)
        this.held = Buffer.alloc(0)
        this.passing = true
        continue
      }
      if (newline === -1) {
        if (line.length > PROGRESS_LINE_MAX) {
          out.push(line)
          this.held = Buffer.alloc(0)
          this.passing = true
        } else this.held = line
        break
      }
      this.held = Buffer.alloc(0)
      const progress = parseProgressLine(line.toString('utf8'))
      if (progress) this.onProgress(progress)
      else out.push(Buffer.concat([line, Buffer.from('\n')]))
      data = data.subarray(newline + 1)
    }
    return out.filter((b) => b.length > 0)
  }

  /** The stream ended: whatever is held goes out as output. */
  flush(): Buffer[] {
    const rest = this.held
    this.held = Buffer.alloc(0)
    return rest.length > 0 ? [rest] : []
  }
}

// True while the bytes so far agree with the marker (a prefix of it, or starting with it).
function couldBeMarker(line: Buffer): boolean {
  const n = Math.min(line.length, MARKER.length)
  return line.subarray(0, n).equals(MARKER.subarray(0, n))
}
