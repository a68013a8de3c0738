// The join code: a pool secret written so a person can read it aloud and type it on another machine.
// `distw-` then 7 groups of 5 Crockford base32 characters; each group is 4 data characters and a check
// character (Luhn mod 32, seeded with the group's position), so a typo is caught and its group named;
// the 28 data characters carry the 128-bit secret and a 12-bit checksum of it (two typos in a group).
import { createHash, randomBytes } from 'node:crypto'
import { UserError } from '../errors.js'

/** Crockford's base32: no I, L, O, U (read as 1, 1, 0 and refused), so a code survives being read aloud. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'
const PREFIX = 'distw-'
const GROUPS = 7
const DATA_PER_GROUP = 4
const SECRET_BYTES = 16
const CHECKSUM_BITS = 12n

const HINT = 'compare it with `distw pool show` on a machine of the pool, and type it again'

/** A fresh random pool secret (128 bits) as its canonical join code. */
export function newJoinCode(): string {
  return encodeJoinCode(randomBytes(SECRET_BYTES))
}

/** True when the text is meant as a join code (so a typo in it is an error, not another secret). */
export function looksLikeJoinCode(text: string): boolean {
  return text.trim().toLowerCase().startsWith(PREFIX)
}

export function encodeJoinCode(secret: Buffer): string {
  if (secret.length !== SECRET_BYTES) throw new Error(`a join code holds ${SECRET_BYTES} bytes`)
  let value = (BigInt(`0x${secret.toString('hex')}`) << CHECKSUM_BITS) | checksum(secret)
  const data: number[] = []
  for (let i = 0; i < GROUPS * DATA_PER_GROUP; i++) {
    data.unshift(Number(value & 31n))
    value >>= 5n
  }
  const groups: string[] = []
  for (let g = 0; g < GROUPS; g++) {
    const digits = data.slice(g * DATA_PER_GROUP, (g + 1) * DATA_PER_GROUP)
    groups.push([...digits, checkDigit(digits, g)].map((d) => ALPHABET[d]).join(''))
  }
  return PREFIX + groups.join('-')
}

/** The canonical code and its secret; a UserError naming the group with the typo otherwise. */
export function decodeJoinCode(text: string): { code: string; secret: Buffer } {
  let body = text.trim()
  if (body.toLowerCase().startsWith(PREFIX)) body = body.slice(PREFIX.length)
  const groups = body.split(/[\s-]+/).filter((g) => g.length > 0)
  if (groups.length !== GROUPS) {
    throw new UserError(
      `a join code has ${GROUPS} groups of ${DATA_PER_GROUP + 1} characters after "distw-"; this one has ${groups.length}`,
      HINT,
    )
  }
  const data: number[] = []
  groups.forEach((group, g) => {
    const where = `group ${g + 1} (${group})`
    if (group.length !== DATA_PER_GROUP + 1) throw new UserError(`${where} has ${group.length} characters, not ${DATA_PER_GROUP + 1}`, HINT)
    const digits = [...group].map((c) => {
      const d = ALPHABET.indexOf(normalize(c))
      if (d < 0) throw new UserError(`${where}: "${c}" is not a join-code character (digits and letters except U)`, HINT)
      return d
    })
    if (checkDigit(digits.slice(0, DATA_PER_GROUP), g) !== digits[DATA_PER_GROUP])
      throw new UserError(`${where} has a typo: its check character does not match`, HINT)
    data.push(...digits.slice(0, DATA_PER_GROUP))
  })
  let value = 0n
  for (const d of data) value = (value << 5n) | BigInt(d)
  const secret = Buffer.from((value >> CHECKSUM_BITS).toString(16).padStart(SECRET_BYTES * 2, '0'), 'hex')
  if ((value & ((1n << CHECKSUM_BITS) - 1n)) !== checksum(secret))
    throw new UserError('the join code does not add up: every group checks, so more than one character is mistyped', HINT)
  return { code: encodeJoinCode(secret), secret }
}

// Lower case is fine; O, I and L are what a listener hears for 0, 1 and 1.
function normalize(c: string): string {
  const upper = c.toUpperCase()
  return upper === 'O' ? '0' : upper === 'I' || upper === 'L' ? '1' : upper
}

function checksum(secret: Buffer): bigint {
  const digest = createHash('sha256').update('distw-join-code').update(secret).digest()
  return BigInt(digest.readUInt16BE(0)) >> (16n - CHECKSUM_BITS)
}

// Luhn mod 32 (catches every single substitution and most swaps of neighbours), seeded with the group's
// position so that a group typed in the wrong place is caught too.
function checkDigit(digits: number[], position: number): number {
  let factor = 2
  let sum = position
  for (let i = digits.length - 1; i >= 0; i--) {
    const addend = factor * (digits[i] as number)
    sum += Math.floor(addend / 32) + (addend % 32)
    factor = factor === 2 ? 1 : 2
  }
  return (32 - (sum % 32)) % 32
}
