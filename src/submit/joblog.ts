// The job log (--joblog FILE): one tab-separated row per attempt, appended as attempts end, so a run
// that is killed half-way still leaves an accurate record. --resume reads it back: a task whose digest
// has a `succeeded` row is not run again. Columns are found by the header's names, so a column added
// later (`reason`) is appended: a log begun by an older distw goes on with its own columns.
import { createWriteStream, type WriteStream } from 'node:fs'
import fs from 'node:fs/promises'
import { UserError } from '../errors.js'
import type { AttemptRecord } from './result.js'

export const JOBLOG_COLUMNS = [
  'digest',
  'task',
  'line',
  'attempt',
  'node',
  'start',
  'duration_ms',
  'exit_code',
  'signal',
  'status',
  'bytes_in',
  'bytes_out',
  'reason',
] as const

type Column = (typeof JOBLOG_COLUMNS)[number]

export class JobLog {
  private constructor(
    private readonly out: WriteStream,
    private readonly columns: readonly Column[],
  ) {}

  /** Opens FILE for appending; writes the header when the file is new or empty. */
  static async open(file: string): Promise<JobLog> {
    const existing = await headerOf(file)
    if (existing && !(existing.includes('digest') && existing.includes('status')))
      throw new UserError(`${file} is not a distw job log`, 'name a new file, or the file an earlier --joblog wrote')
    const out = createWriteStream(file, { flags: 'a' })
    await new Promise<void>((resolve, reject) => {
      out.once('open', () => resolve())
      out.once('error', (error) => reject(new UserError(`cannot write job log ${file}: ${error.message}`, 'check the path')))
    })
    if (existing === undefined) out.write(`${JOBLOG_COLUMNS.join('\t')}\n`)
    const known = (name: string): name is Column => (JOBLOG_COLUMNS as readonly string[]).includes(name)
    return new JobLog(out, existing?.filter(known) ?? JOBLOG_COLUMNS)
  }

  write(digest: string, r: AttemptRecord): void {
    const cells: Record<Column, string | number> = {
      digest,
      task: r.task,
      line: r.line,
      attempt: r.attempt,
      node: r.node,
      start: new Date(r.startedAt).toISOString(),
      duration_ms: r.durationMs,
      exit_code: r.exitCode ?? '',
      signal: r.signal ?? '',
      status: r.status,
      bytes_in: r.bytesUp,
      bytes_out: r.bytesDown,
      reason: r.reason,
    }
    this.out.write(`${this.columns.map((c) => String(cells[c]).replace(/[\t\r\n]/g, ' ')).join('\t')}\n`)
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.out.end(() => resolve()))
  }
}

/** The column names of FILE's header; undefined when FILE is new or empty. */
async function headerOf(file: string): Promise<string[] | undefined> {
  let handle
  try {
    handle = await fs.open(file, 'r')
  } catch {
    return undefined // not there yet (or unreadable: opening it for appending says so)
  }
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(4096), 0, 4096, 0)
    if (bytesRead === 0) return undefined
    return (buffer.subarray(0, bytesRead).toString('utf8').split('\n')[0] ?? '').split('\t')
  } finally {
    await handle.close()
  }
}

/** Digests of the tasks FILE records as succeeded; none when FILE does not exist yet. */
export async function succeededDigests(file: string): Promise<Set<string>> {
  let text: string
  try {
    text = await fs.readFile(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new Set()
    throw new UserError(`cannot read job log ${file}: ${(error as Error).message}`, 'check the path, or drop --resume')
  }
  const lines = text.split('\n')
  const header = (lines[0] ?? '').split('\t')
  const digestAt = header.indexOf('digest')
  const statusAt = header.indexOf('status')
  if (digestAt < 0 || statusAt < 0) throw new UserError(`${file} is not a distw job log`, 'pass the file written by --joblog')
  const done = new Set<string>()
  for (const line of lines.slice(1)) {
    const cells = line.split('\t')
    if (cells[statusAt] === 'succeeded' && cells[digestAt]) done.add(cells[digestAt])
  }
  return done
}
