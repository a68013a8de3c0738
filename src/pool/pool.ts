// `distw pool new | join | show | leave`: the pool secret kept in the platform's default place, handed
// between machines as a join code. Each returns the lines to print; the commands only print them.
import fs from 'node:fs/promises'
import { UserError } from '../errors.js'
import { findSecret, writeNewSecret } from '../secret.js'
import { decodeJoinCode, newJoinCode } from './join-code.js'
import { poolId } from '../protocol/index.js'
import { defaultSecretPath } from './secret-path.js'

export interface PoolPlace {
  /** The pool's secret file (default: defaultSecretPath()). */
  file?: string
}

export interface PoolReport {
  /** The join code, for stdout: what a script would capture. */
  code?: string
  /** What happened and the next step, for stderr. */
  notes: string[]
}

const NEXT_STEP = 'next: `distw daemon install` on every machine that should run tasks, then `distw submit` from any'

/** Creates the pool's secret; refuses when this machine already has one. */
export async function newPool(place: PoolPlace = {}): Promise<PoolReport> {
  const file = place.file ?? defaultSecretPath()
  await refuseExisting(file, 'pool new')
  const code = newJoinCode()
  await writeNewSecret(file, code, { makeFolder: true })
  return {
    code,
    notes: [
      `made pool ${poolId(Buffer.from(code))}; its secret is in ${file} (mode 600)`,
      `on each other machine: distw pool join ${code}`,
      NEXT_STEP,
    ],
  }
}

/** Stores the pool given by its join code; a typo is named, and another pool already here is refused. */
export async function joinPool(text: string, place: PoolPlace = {}): Promise<PoolReport> {
  const { code } = decodeJoinCode(text)
  const file = place.file ?? defaultSecretPath()
  const current = await currentPool(file)
  if (current?.secret.toString('utf8') === code) return { notes: [`already in pool ${poolId(current.secret)} (${file})`, NEXT_STEP] }
  await refuseExisting(file, 'pool join')
  await writeNewSecret(file, code, { makeFolder: true })
  return { notes: [`joined pool ${poolId(Buffer.from(code))}; its secret is in ${file} (mode 600)`, NEXT_STEP] }
}

/** The join code of this machine's pool, to type on another machine. */
export async function showPool(place: PoolPlace = {}): Promise<PoolReport> {
  const file = place.file ?? defaultSecretPath()
  const current = await currentPool(file)
  if (current === undefined)
    throw new UserError(
      `this machine is in no pool (${file} does not exist)`,
      'make one with `distw pool new`, or join one with `distw pool join CODE`',
    )
  const code = current.secret.toString('utf8')
  if (!code.startsWith('distw-'))
    throw new UserError(
      `${file} holds a secret made by \`distw secret new\`, which has no join code`,
      'copy that file to the other machines (mode 600), or `distw pool leave` and `distw pool new`',
    )
  return { code, notes: [`pool ${poolId(current.secret)} (${file}); on another machine: distw pool join ${code}`] }
}

/** Removes this machine's pool secret; running daemons keep theirs until they restart. */
export async function leavePool(place: PoolPlace = {}): Promise<PoolReport> {
  const file = place.file ?? defaultSecretPath()
  const current = await currentPool(file)
  if (current === undefined) return { notes: [`this machine is in no pool (${file} does not exist)`] }
  await fs.rm(file)
  return {
    notes: [
      `left pool ${poolId(current.secret)}: removed ${file}`,
      'a daemon running now keeps the secret until it stops; `distw daemon uninstall` removes the login service',
    ],
  }
}

async function currentPool(file: string) {
  return findSecret({ file: undefined, env: {}, defaultFile: file })
}

async function refuseExisting(file: string, command: string): Promise<void> {
  const current = await currentPool(file).catch(() => undefined)
  const exists =
    current !== undefined ||
    (await fs.stat(file).then(
      () => true,
      () => false,
    ))
  if (!exists) return
  const id = current ? ` (pool ${poolId(current.secret)})` : ''
  throw new UserError(
    `this machine is already in a pool${id}: ${file} exists`,
    command === 'pool new'
      ? '`distw pool show` prints its join code; `distw pool leave` first to make another'
      : '`distw pool leave` first to join another',
  )
}
