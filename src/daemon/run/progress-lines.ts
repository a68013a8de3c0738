// Picks `::distw::progress 45 encoding` lines out of a task's stdout. Only a line that could still
// become a progress line is held back (so ordinary output is forwarded at once, partial lines
// included), and never more than PROGRESS_LINE_MAX bytes: a longer line is forwarded as it is.

export const PROGRESS_MARKER = '::distw::progress'
/** Longest progress line held back while waiting for its newline. */
export const PROGRESS_LINE_MAX = 4096
/** Longest status text kept from a progress line. */
export const PROGRESS_TEXT_MAX = 200

const MARKER = Buffer.from(PROGRESS_MARKER)
const NEWLINE = 0x0a
const COLON = 0x3a
const NEWLINE_COLON = Buffer.from('\n:')
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

/** Shared: a zero-length Buffer has no bytes to change. */
const EMPTY = Buffer.alloc(0)

export class ProgressSplitter {
  private held: Buffer = EMPTY
  private passing = false

  constructor(private readonly onProgress: (progress: Progress) => void) {}

  /**
   * Takes a chunk of stdout; returns the bytes to forward as output (progress lines removed), in as
   * few pieces as it can: each piece becomes a frame of its own, and one per line made a task printing
   * a million short lines send a million frames (2 MB of `yes` took 25 s to reach the submitter).
   */
  push(data: Buffer): Buffer[] {
    const out: Buffer[] = []
    while (data.length > 0) {
      if (this.passing) {
        // Only a line starting with ':' can be a progress line: jump to the next such line start.
        const next = data.indexOf(NEWLINE_COLON)
        if (next === -1) {
          out.push(data)
          // A chunk that ends a line leaves the next chunk's first byte to be looked at.
          this.passing = data[data.length - 1] !== NEWLINE
          break
        }
        out.push(data.subarray(0, next + 1))
        data = data.subarray(next + 1)
        this.passing = false
        continue
      }
      if (this.held.length === 0 && data[0] !== COLON) {
        this.passing = true
        continue
      }
      const newline = data.indexOf(NEWLINE)
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
    return joinAdjacent(out)
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

// Pieces that lie next to each other in one buffer (the lines around a removed progress line are
// not) become one view; empty pieces are dropped.
function joinAdjacent(pieces: Buffer[]): Buffer[] {
  const joined: Buffer[] = []
  for (const piece of pieces) {
    if (piece.length === 0) continue
    const last = joined.at(-1)
    if (last && last.buffer === piece.buffer && last.byteOffset + last.length === piece.byteOffset)
      joined[joined.length - 1] = Buffer.from(last.buffer, last.byteOffset, last.length + piece.length)
    else joined.push(piece)
  }
  return joined
}
