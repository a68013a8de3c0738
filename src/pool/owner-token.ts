// The node owner's local credential: a random token in a file only its owner can read, beside the pool
// secret. A daemon makes it (or reuses it) at start; `distw approve/deny` and `distw top` on the same
// machine read it and send it over loopback only. Holding the pool secret is not enough to approve a
// program: every member of the pool holds that. Also where --approve keeps the approved programs.
import { randomBytes, timingSafeEqual } from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import { defaultSecretPath } from './secret-path.js'

const TOKEN_BYTES = 32

/** The owner-token file: `owner-token` in distw's per-user config folder (beside the pool secret). */
export function ownerTokenPath(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(path.dirname(defaultSecretPath(env)), 'owner-token')
}

/** Where `daemon --approve` keeps approved programs by default: `allow-exe` beside the pool secret. */
export function defaultApprovalsPath(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(path.dirname(defaultSecretPath(env)), 'allow-exe')
}

/** The daemon's side: the token in `file`, made (mode 600) when there is none. */
export async function ensureOwnerToken(file: string): Promise<Buffer> {
  const existing = await readOwnerToken(file)
  // A token others can read is no proof of ownership: kept private whatever happened to the file.
  if (existing) return (await fs.chmod(file, 0o600), existing)
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 })
  const token = randomBytes(TOKEN_BYTES)
  try {
    // wx: two daemons starting at once agree on the first one's token.
    await fs.writeFile(file, `${token.toString('hex')}\n`, { mode: 0o600, flag: 'wx' })
    return token
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    const written = await readOwnerToken(file)
    if (!written) throw new Error(`owner token file ${file} is not a token`)
    return written
  }
}

/** The client's side: the token, or undefined when this user has none (no daemon of theirs made one). */
export async function readOwnerToken(file: string): Promise<Buffer | undefined> {
  const text = await fs.readFile(file, 'utf8').catch(() => undefined)
  const hex = text?.trim() ?? ''
  return /^[0-9a-f]{64}$/.test(hex) ? Buffer.from(hex, 'hex') : undefined
}

export function tokenMatches(expected: Buffer, given: Buffer): boolean {
  return given.length === expected.length && timingSafeEqual(given, expected)
}
