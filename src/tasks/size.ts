// Sizes as people write them ("4G", "512M", "100k", "1.5GiB"); a bare number is bytes.
// Units follow GNU coreutils (sort -S, dd): K, M, G, T, P and KiB… are powers of 1024; KB, MB… are
// powers of 1000. So "4G" is 4 GiB, as in `docker run -m 4g`.

const POWERS = ['k', 'm', 'g', 't', 'p'] as const

const BYTES_PER_UNIT: ReadonlyMap<string, number> = new Map<string, number>([
  ['', 1],
  ['b', 1],
  ...POWERS.flatMap((p, i) => {
    const binary = 1024 ** (i + 1)
    return [
      [p, binary],
      [`${p}i`, binary],
      [`${p}ib`, binary],
      [`${p}b`, 1000 ** (i + 1)],
    ] as [string, number][]
  }),
])

const SIZE = /^\s*(\d+(?:\.\d*)?|\.\d+)\s*([a-z]*)\s*$/

/** Parses a size into whole bytes. Throws an Error saying what is accepted. */
export function parseSize(s: string | number): number {
  let bytes: number
  if (typeof s === 'number') {
    bytes = s
  } else {
    const m = SIZE.exec(s.toLowerCase())
    const perUnit = m ? BYTES_PER_UNIT.get(m[2] ?? '') : undefined
    if (!m || perUnit === undefined) throw badSize(s)
    bytes = Number(m[1]) * perUnit
  }
  if (!Number.isFinite(bytes) || bytes < 0 || bytes > Number.MAX_SAFE_INTEGER) throw badSize(s)
  return Math.round(bytes)
}

function badSize(s: string | number): Error {
  return new Error(
    `invalid size ${JSON.stringify(s)}: use e.g. "512M", "4G", "1.5GiB" (powers of 1024) or "4GB" (powers of 1000); ` +
      'a bare number is bytes',
  )
}

/** Bytes as a person reads them, in powers of 1024: 0 B, 900 B, 3.4 MiB, 10 GiB. */
export function formatSize(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB']
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  const digits = unit === 0 || value >= 10 ? 0 : 1
  return `${value.toFixed(digits)} ${units[unit]}`
}
