// --allow-exe: only executables whose SHA-256 is listed may run. The first argv element is resolved as
// the system would (a path with a slash from the working folder, a bare name through PATH), hashed, and
// then run by that absolute path, so what was hashed is what starts.
//
// A shell line could start anything (`true; rm -rf ~`, `eval …`, `$(…)`), so with an allowlist a shell
// task is accepted only when it is a plain word list (letters, digits and `_ . / , : @ + - =` inside
// words; no quotes, no `$`, no globbing, no redirection, no separators) whose first word is allowed. It
// then runs as that argv without any shell, which is what `sh -c` would have done with such a line,
// minus shell builtins and functions (a file named `eval` must not mean the builtin).
//
// With --approve (approvals.ts) a program on no list is not refused but held for the owner's answer.
import { constants } from 'node:fs'
import fs from 'node:fs/promises'
import path from 'node:path'
import type { Command } from '../../protocol/index.js'
import { hashFile } from '../../transfer/hash.js'
import { plainShellWords } from '../run/shell-words.js'
import type { Approvals, HoldRequest } from './approvals.js'

/** Where the system would find `name`: relative to `cwd` when it has a slash, else the first hit on PATH. */
export async function resolveExecutable(name: string, cwd: string, pathVar: string): Promise<string | undefined> {
  if (name.includes('/')) {
    const full = path.resolve(cwd, name)
    return (await isExecutableFile(full)) ? full : undefined
  }
  for (const dir of pathVar.split(path.delimiter)) {
    const full = path.resolve(cwd, dir, name) // an empty entry means the current folder, as in execvp
    if (await isExecutableFile(full)) return full
  }
  return undefined
}

async function isExecutableFile(file: string): Promise<boolean> {
  try {
    const stat = await fs.stat(file)
    if (!stat.isFile()) return false
    await fs.access(file, constants.X_OK)
    return true
  } catch {
    return false
  }
}

export class ExeAllowList {
  private readonly digests: ReadonlySet<string>
  /** Digests by path and stat, so a compiler used by ten thousand tasks is hashed once. */
  private readonly known = new Map<string, Promise<string>>()

  constructor(
    digests: readonly string[],
    private readonly approvals?: Approvals,
  ) {
    this.digests = new Set(digests.map((d) => d.toLowerCase()))
  }

  get restricts(): boolean {
    return this.digests.size > 0 || this.approvals !== undefined
  }

  /**
   * The command to run in place of `command`; throws an Error saying why when it may not run. With
   * approvals, a program on no list waits here for the owner's answer (`hold` tells the task it waits).
   */
  async check(command: Command, cwd: string, env: Record<string, string>, hold?: Pick<HoldRequest, 'signal' | 'held'>): Promise<Command> {
    if (!this.restricts) return command
    let argv: string[]
    if ('argv' in command) argv = command.argv
    else {
      const words = plainShellWords(command.shell)
      if (!words) {
        throw new Error(
          'this node runs only allow-listed executables, and a shell line with shell syntax could run anything: ' +
            'send the task as argv, or as a plain "program arg arg" line',
        )
      }
      argv = words
    }
    const [name = '', ...args] = argv
    const file = await resolveExecutable(name, cwd, env.PATH ?? '')
    if (!file) throw new Error(`executable ${JSON.stringify(name)} not found in the working folder or on PATH`)
    const digest = await this.digestOf(file)
    if (this.digests.has(digest) || this.approvals?.has(digest)) return { argv: [file, ...args] }
    if (!this.approvals || !hold) {
      throw new Error(`executable ${JSON.stringify(name)} (${file}, sha256 ${digest}) is not on this node's --allow-exe list`)
    }
    await this.approvals.hold({ digest, name, file, ...hold })
    return { argv: [file, ...args] }
  }

  private async digestOf(file: string): Promise<string> {
    const stat = await fs.stat(file, { bigint: true })
    const key = `${file}\0${stat.dev}\0${stat.ino}\0${stat.size}\0${stat.mtimeNs}\0${stat.ctimeNs}`
    let digest = this.known.get(key)
    if (!digest) {
      digest = hashFile(file)
      this.known.set(key, digest)
      digest.catch(() => this.known.delete(key))
    }
    return digest
  }
}
