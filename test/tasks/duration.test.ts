import { describe, expect, it } from 'vitest'
import { MAX_TIMER_MS, parseDuration, parseSize } from '../../src/tasks/index.js'
import { formatSize } from '../../src/tasks/size.js'

describe('parseDuration', () => {
  it.each([
    ['20m', 20 * 60_000],
    ['1h30m', 90 * 60_000],
    ['1h 30m', 90 * 60_000],
    ['90s', 90_000],
    ['500ms', 500],
    ['1.5h', 90 * 60_000],
    ['.5s', 500],
    ['2d', 2 * 86_400_000],
    ['1d2h3m4s5ms', 86_400_000 + 2 * 3_600_000 + 3 * 60_000 + 4_000 + 5],
    ['90', 90_000],
    [' 90 ', 90_000],
    ['1.25', 1250],
    ['20M', 20 * 60_000],
    ['10min', 600_000],
    ['2 hours', 7_200_000],
    ['0s', 0],
    [90, 90_000],
    [0.5, 500],
    [0, 0],
  ] as const)('%j is %i ms', (input, ms) => {
    expect(parseDuration(input)).toBe(ms)
  })

  it('rounds to whole milliseconds', () => {
    expect(parseDuration('1.4ms')).toBe(1)
    expect(parseDuration(0.0016)).toBe(2)
  })

  it.each(['', ' ', 'm', '20x', '-5s', '5s-', 'h1', '1h30', '1,5h', '20 m x', 'NaN', 'Infinity', '1e3s', '1.2.3s', '5 s s'])(
    'rejects %j with a message showing the accepted forms',
    (input) => {
      expect(() => parseDuration(input)).toThrow(/^invalid duration .*e\.g\. "500ms", "90s", "20m", "1h30m"/)
    },
  )

  it('names an unknown unit', () => {
    expect(() => parseDuration('3w')).toThrow('invalid duration "3w" (unknown unit "w")')
  })

  it.each([-1, Number.NaN, Number.POSITIVE_INFINITY])('rejects the number %d', (input) => {
    expect(() => parseDuration(input)).toThrow(/invalid duration/)
  })

  it('exposes the longest duration a Node timer can wait', () => {
    expect(MAX_TIMER_MS).toBe(2_147_483_647)
  })
})

describe('formatSize', () => {
  it.each([
    [0, '0 B'],
    [900, '900 B'],
    [1024, '1.0 KiB'],
    [3.4 * 1024 ** 2, '3.4 MiB'],
    [10 * 1024 ** 3, '10 GiB'],
    [1536 * 1024 ** 3, '1.5 TiB'],
  ])('%i bytes reads %j', (bytes, text) => {
    expect(formatSize(bytes)).toBe(text)
  })
})

describe('parseSize', () => {
  const KiB = 1024
  const MiB = 1024 ** 2
  const GiB = 1024 ** 3
  it.each([
    ['4G', 4 * GiB],
    ['4g', 4 * GiB],
    ['512M', 512 * MiB],
    ['100k', 100 * KiB],
    ['100K', 100 * KiB],
    ['1.5GiB', 1.5 * GiB],
    ['1.5Gi', 1.5 * GiB],
    ['2T', 2 * 1024 ** 4],
    ['4GB', 4e9],
    ['500MB', 5e8],
    ['1kB', 1000],
    ['4 G', 4 * GiB],
    ['123', 123],
    ['123B', 123],
    ['0', 0],
    [4096, 4096],
    [1.6, 2],
  ] as const)('%j is %i bytes', (input, bytes) => {
    expect(parseSize(input)).toBe(bytes)
  })

  it.each(['', 'G', '4X', '4GiBs', '-1G', '1.2.3M', '4 G B', 'lots', '1e3'])('rejects %j', (input) => {
    expect(() => parseSize(input)).toThrow(/^invalid size .*"512M", "4G"/)
  })

  it.each([-1, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 60])('rejects the number %d', (input) => {
    expect(() => parseSize(input)).toThrow(/invalid size/)
  })

  it('rejects sizes beyond what a number holds exactly', () => {
    expect(() => parseSize('9000P')).toThrow(/invalid size/)
  })
})
