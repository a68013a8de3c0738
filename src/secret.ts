// The shared secret that authenticates submitters and nodes to each other. It is read from a file
// (--secret-file) or from DISTW_SECRET, never from a flag value (flags show up in `ps`).
import { randomBytes } from 'node:crypto'
import fs from 'node:fs/promises'
import { UserError } from './errors.js'

/** Fewer bytes than this cannot be a secret worth the name. */
export const MIN_SECRET_BYTES = 16

export interface SecretSource {
  file?: string | undefined
  /** The environment to read DISTW_SECRET from (default: process.env). */
  env?: NodeJS.ProcessEnv
}

/** The secret from --secret-file, else DISTW_SECRET, else undefined. Surrounding whitespace is not part of it. */
export async function loadSecret(source: SecretSource): Promise<Buffer | undefined> {
  if (source.file !== undefined) return readSecretFile(source.file)
  const value = (source.env ?? process.env).DISTW_SECRET
  if (value === undefined || value === '') return undefined
  return checkLength(Buffer.from(value.trim(), 'utf8'), 'DISTW_SECRET')
}

async function readSecretFile(file: string): Promise<Buffer> {
  let text: string
  try {
    const stat = await fs.stat(file)
    // Like ssh with private keys: a secret others can read is no secret.
    if (process.platform !== 'win32' && (stat.mode & 0o077) !== 0) {
      throw new UserError(
        `secret file ${file} can be read by other users (mode ${(stat.mode & 0o777).toString(8)})`,
        `run: chmod 600 ${file}`,
      )
    }
    text = await fs.readFile(file, 'utf8')
  } catch (error) {
    if (error instanceof UserError) throw error
    throw new UserError(
      `cannot read secret file ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      'create one with: distw secret new FILE',
    )
  }
  return checkLength(Buffer.from(text.trim(), 'utf8'), `secret file ${file}`)
}

function checkLength(secret: Buffer, where: string): Buffer {
  if (secret.length < MIN_SECRET_BYTES) {
    throw new UserError(
      `${where} holds a secret of ${secret.length} bytes, at least ${MIN_SECRET_BYTES} are needed`,
      'make one with: distw secret new FILE',
    )
  }
  return secret
}

/** A fresh random secret as text: 32 random bytes, hex. */
export function newSecretText(): string {
  return randomBytes(32).toString('hex')
}

/** Writes a fresh secret to a new file readable by its owner only; never overwrites an existing file. */
export async function writeNewSecret(file: string): Promise<void> {
  let handle: fs.FileHandle
  try {
    handle = await fs.open(file, 'wx', 0o600)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'EEXIST') throw new UserError(`${file} already exists`, 'remove it first, or choose another name')
    throw new UserError(`cannot create ${file}: ${code ?? (error as Error).message}`, 'check the folder exists and is writable')
  }
  try {
    await handle.chmod(0o600) // the umask may have narrowed it further, never widened; make it exact
    await handle.writeFile(`${newSecretText()}\n`)
  } finally {
    await handle.close()
  }
}
