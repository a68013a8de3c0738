// daemon --approve: a program not approved yet is held until the node's owner approves or denies it
// (`distw approve/deny HASH`, `a`/`d` in `distw top`), or --approve-timeout passes. Approvals are kept
// in a file (one SHA-256 a line, `#` comments), so they outlive the daemon; denials last while it runs.
import fs from 'node:fs/promises'
import path from 'node:path'
import { ensureOwnerToken } from '../../pool/owner-token.js'
import type { StopSignal } from '../run/task-stop.js'

/** --approve-timeout's default: long enough to walk to the machine, short enough not to hold a slot for long. */
export const DEFAULT_APPROVE_TIMEOUT_MS = 10 * 60_000

export interface ApprovalOptions {
  /** The file of approved digests (read at start, appended to on each approval). */
  file: string
  /** How long a held task waits for an answer before it fails. */
  timeoutMs: number
}

/** What the owner is asked about: the program, and a task it would run for. */
export interface HoldRequest {
  digest: string
  /** The program as the task named it, and where the node found it. */
  name: string
  file: string
  signal: StopSignal
  /** Told once the task is held (it was not approved yet): what it waits for, in words, and for which program. */
  held: (reason: string, program: { digest: string; program: string }) => void
}

interface Waiter {
  resolve: () => void
  reject: (error: Error) => void
}

export class Approvals {
  private readonly approved = new Set<string>()
  private readonly denied = new Set<string>()
  private readonly waiting = new Map<string, Set<Waiter>>()

  private constructor(private readonly options: ApprovalOptions) {}

  static async open(options: ApprovalOptions): Promise<Approvals> {
    const approvals = new Approvals(options)
    const text = await fs.readFile(options.file, 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return ''
      throw new Error(`cannot read the approvals file ${options.file}: ${error.code ?? error.message}`)
    })
    for (const line of text.split('\n')) {
      const digest = line.replace(/#.*/, '').trim().toLowerCase()
      if (/^[0-9a-f]{64}$/.test(digest)) approvals.approved.add(digest)
    }
    return approvals
  }

  get file(): string {
    return this.options.file
  }

  has(digest: string): boolean {
    return this.approved.has(digest)
  }

  /** Resolves once `digest` is approved; rejects with the reason the task fails (denied, no answer, cancelled). */
  async hold(request: HoldRequest): Promise<void> {
    const { digest, name } = request
    const what = `program ${JSON.stringify(name)} (${request.file}, sha256 ${digest})`
    if (this.denied.has(digest)) throw new Error(`${what} was denied by this node's owner`)
    if (request.signal.aborted) throw new Error('cancelled while waiting for approval')
    const timeout = `${Math.round(this.options.timeoutMs / 1000)} s`
    request.held(`waiting for approval of ${what} on this node: its owner runs \`distw approve ${digest}\` (or deny), within ${timeout}`, {
      digest,
      program: request.file,
    })
    await new Promise<void>((resolve, reject) => {
      const waiters = this.waiting.get(digest) ?? new Set<Waiter>()
      this.waiting.set(digest, waiters)
      const done = (): void => {
        clearTimeout(timer)
        request.signal.removeEventListener('abort', onAbort)
        waiters.delete(waiter)
        if (waiters.size === 0) this.waiting.delete(digest)
      }
      const waiter: Waiter = {
        resolve: () => (done(), resolve()),
        reject: (error) => (done(), reject(error)),
      }
      const timer = setTimeout(
        () => waiter.reject(new Error(`${what} was not approved by this node's owner within ${timeout} (--approve-timeout)`)),
        this.options.timeoutMs,
      )
      const onAbort = (): void => waiter.reject(new Error('cancelled while waiting for approval'))
      request.signal.addEventListener('abort', onAbort, { once: true })
      waiters.add(waiter)
    })
  }

  /** The owner's answer: lets every task held for `digest` go (or fail), and remembers it. Returns how many were held. */
  async decide(digest: string, allow: boolean): Promise<number> {
    const waiters = [...(this.waiting.get(digest) ?? [])]
    if (allow) {
      this.denied.delete(digest)
      if (!this.approved.has(digest)) {
        await fs.mkdir(path.dirname(this.options.file), { recursive: true, mode: 0o700 })
        await fs.appendFile(this.options.file, `${digest}  # approved ${new Date().toISOString()}\n`, { mode: 0o600 })
        this.approved.add(digest)
      }
      for (const waiter of waiters) waiter.resolve()
    } else {
      this.denied.add(digest)
      for (const waiter of waiters) waiter.reject(new Error(`program sha256 ${digest} was denied by this node's owner`))
    }
    return waiters.length
  }
}

/** --approve's book and the owner token a `decide` must carry (made at start when this user has none). */
export async function openApprovals(options: ApprovalOptions & { tokenFile: string }): Promise<{ book: Approvals; ownerToken: Buffer }> {
  return { book: await Approvals.open(options), ownerToken: await ensureOwnerToken(options.tokenFile) }
}
