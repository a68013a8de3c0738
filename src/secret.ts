// The shared secret that authenticates submitters and nodes to each other. It is read from a file
// (--secret-file), from DISTW_SECRET, or from the pool's default file (`distw pool new/join`), never
// from a flag value (flags show up in `ps`).
import { randomBytes } from 'node:crypto'
import { fchmodSync, fstatSync, writeSync } from 'node:fs'
import fs from 'node:fs/promises'
import path from 'node:path'
import { UserError } from './errors.js'
import { decodeJoinCode, looksLikeJoinCode } from './pool/join-code.js'
import { defaultSecretPath } from './pool/secret-path.js'

/** Fewer bytes than this cannot be a secret worth the name. */
export const MIN_SECRET_BYTES = 16

export interface SecretSource {
  file?: string | undefined
  /** The environment to read DISTW_SECRET (and XDG_CONFIG_HOME, APPDATA) from (default: process.env). */
  env?: NodeJS.ProcessEnv
  /** The pool's file, used when neither of the above names a secret (default: defaultSecretPath(env)). */
  defaultFile?: string
}

export interface FoundSecret {
  secret: Buffer
  /** Where it came from, for the user: the file, or DISTW_SECRET. */
  origin: string
}

/** The secret from --secret-file, else DISTW_SECRET, else the pool's default file, else undefined. */
export async function loadSecret(source: SecretSource): Promise<Buffer | undefined> {
  return (await findSecret(source))?.secret
}

/** Like loadSecret, and says where the secret came from. */
export async function findSecret(source: SecretSource): Promise<FoundSecret | undefined> {
  if (source.file !== undefined) return { secret: await readSecretFile(source.file), origin: source.file }
  const env = source.env ?? process.env
  const value = env.DISTW_SECRET
  if (value !== undefined && value !== '') return { secret: secretFromText(value, 'DISTW_SECRET'), origin: 'DISTW_SECRET' }
  const file = source.defaultFile ?? defaultSecretPath(env)
  if (!(await exists(file))) return undefined
  return { secret: await readSecretFile(file), origin: file }
}

async function exists(file: string): Promise<boolean> {
  return fs.stat(file).then(
    () => true,
    (error: NodeJS.ErrnoException) => error.code !== 'ENOENT' && error.code !== 'ENOTDIR',
  )
}

/** Surrounding whitespace is not part of a secret; a join code counts in its canonical spelling. */
function secretFromText(text: string, where: string): Buffer {
  const trimmed = text.trim()
  if (looksLikeJoinCode(trimmed)) return Buffer.from(decodeJoinCode(trimmed).code, 'utf8')
  return checkLength(Buffer.from(trimmed, 'utf8'), where)
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
      'make one with: distw pool new (or distw secret new FILE)',
    )
  }
  return secretFromText(text, `secret file ${file}`)
}

function checkLength(secret: Buffer, where: string): Buffer {
  if (secret.length < MIN_SECRET_BYTES) {
    throw new UserError(
      `${where} holds a secret of ${secret.length} bytes, at least ${MIN_SECRET_BYTES} are needed`,
      'make one with: distw pool new (or distw secret new FILE)',
    )
  }
  return secret
}

/** A fresh random secret as text: 32 random bytes, hex. */
export function newSecretText(): string {
  return randomBytes(32).toString('hex')
}

/** Writes a fresh secret (or `text`) to a new file readable by its owner only; never overwrites an existing file. */
export async function writeNewSecret(file: string, text = newSecretText(), options: { makeFolder?: boolean } = {}): Promise<void> {
  let handle: fs.FileHandle
  try {
    // The folder of the pool's file is private too: ~/.config/distw may not exist yet.
    if (options.makeFolder) await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 })
    handle = await fs.open(file, 'wx', 0o600)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'EEXIST') throw new UserError(`${file} already exists`, 'remove it first, or choose another name')
    throw new UserError(`cannot create ${file}: ${code ?? (error as Error).message}`, 'check the folder exists and is writable')
  }
  try {
    await handle.chmod(0o600) // the umask may have narrowed it further, never widened; make it exact
    await handle.writeFile(`${text}\n`)
  } finally {
    await handle.close()
  }
}

/** Writes a fresh secret to standard output when it is redirected to a file, after making that file mode 600. */
export function writeSecretToStdout(fd = 1): void {
  const stat = fstatSync(fd)
  if (!stat.isFile()) {
    throw new UserError(
      `refusing to print a secret to a ${stat.isFIFO() || stat.isSocket() ? 'pipe' : 'terminal'}: it would be seen or passed on`,
      'give a file: `distw secret new FILE` (mode 600), or make a pool with `distw pool new`',
    )
  }
  if (process.platform !== 'win32') fchmodSync(fd, 0o600)
  writeSync(fd, `${newSecretText()}\n`)
}
