import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { parseProgressLine, PROGRESS_LINE_MAX, ProgressSplitter, type Progress } from '../../src/daemon/run/progress-lines.js'

// Feeds chunks through a splitter; returns what is forwarded and the progress reports.
function split(chunks: string[]): { out: string; progress: Progress[] } {
  const progress: Progress[] = []
  const splitter = new ProgressSplitter((p) => progress.push(p))
  const out = [...chunks.flatMap((c) => splitter.push(Buffer.from(c))), ...splitter.flush()]
  return { out: Buffer.concat(out).toString(), progress }
}

describe('progress lines', () => {
  it('parses percent and free text, clamps, and refuses malformed lines', () => {
    expect(parseProgressLine('::distw::progress 45 encoding frame 7')).toEqual({ percent: 45, text: 'encoding frame 7' })
    expect(parseProgressLine('::distw::progress 12.5%\r')).toEqual({ percent: 12.5, text: '' })
    expect(parseProgressLine('::distw::progress 250 over')).toEqual({ percent: 100, text: 'over' })
    expect(parseProgressLine('::distw::progress lots')).toBeUndefined()
    expect(parseProgressLine(' ::distw::progress 5')).toBeUndefined()
  })

  it('consumes progress lines split anywhere across chunks and forwards the rest byte-exact', () => {
    const { out, progress } = split(['a\n::dis', 'tw::progress 4', '5 encoding\nb', 'c\n::distw::progress 100 done\n', 'tail'])
    expect(out).toBe('a\nbc\ntail')
    expect(progress).toEqual([
      { percent: 45, text: 'encoding' },
      { percent: 100, text: 'done' },
    ])
  })

  it('forwards ordinary partial lines at once, and a malformed progress line as output', () => {
    const splitter = new ProgressSplitter(() => {})
    expect(Buffer.concat(splitter.push(Buffer.from('50% ...'))).toString()).toBe('50% ...')
    expect(split(['::distw::progress soon\n']).out).toBe('::distw::progress soon\n')
  })

  it('does not hold a huge line without newline: past the cap it is forwarded as it is', () => {
    const splitter = new ProgressSplitter(() => {})
    const huge = `::distw::progress 5 ${'x'.repeat(PROGRESS_LINE_MAX)}`
    const out = splitter.push(Buffer.from(huge))
    expect(Buffer.concat(out).toString()).toBe(huge)
    expect(Buffer.concat(splitter.push(Buffer.from('more\nok\n'))).toString()).toBe('more\nok\n')
  })

  // Each piece is a frame of its own: one per line made 2 MB of `yes` a million frames (25 s).
  it('forwards a chunk of many lines as one piece, and as two around a progress line', () => {
    const splitter = new ProgressSplitter(() => {})
    const lines = 'y\n'.repeat(10_000)
    expect(splitter.push(Buffer.from(lines))).toHaveLength(1)
    const around = splitter.push(Buffer.from(`${lines}::distw::progress 5\n${lines}`))
    expect(around.map((b) => b.length)).toEqual([lines.length, lines.length])
  })

  it('whatever the chunking, output is the input minus exactly the progress lines', () => {
    const line = fc.oneof(
      fc.constantFrom('::distw::progress 7 step', '::distw::progress 99', 'plain', '::distw::', ''),
      fc.string({ unit: 'grapheme-ascii', maxLength: 30 }).filter((s) => !s.includes('\n')),
    )
    fc.assert(
      fc.property(fc.array(line, { maxLength: 20 }), fc.array(fc.nat(40), { maxLength: 10 }), (lines, cuts) => {
        const text = lines.map((l) => `${l}\n`).join('')
        const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b)
        const chunks = [0, ...points, text.length].slice(1).map((end, i, ends) => text.slice(i === 0 ? 0 : ends[i - 1], end))
        const { out, progress } = split(chunks)
        const kept = lines.filter((l) => parseProgressLine(l) === undefined)
        expect(out).toBe(kept.map((l) => `${l}\n`).join(''))
        expect(progress.length).toBe(lines.length - kept.length)
      }),
    )
  })
})
