// The job log (--joblog FILE): one tab-separated row per attempt, appended as attempts end, so a run
// that is killed half-way still leaves an accurate record. --resume reads it back: a task whose digest
// has a `succeeded` row is not run again.
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
] as const

export class JobLog {
  private constructor(private readonly out: WriteStream) {}

  /** Opens FILE for appending; writes the header when the file is new or empty. */
  static async open(file: string): Promise<JobLog> {
    const size = await fs.stat(file).then(
      (s) => s.size,
      () => 0,
    )
    const out = createWriteStream(file, { flags: 'a' })
    await new Promise<void>((resolve, reject) => {
      out.once('open', () => resolve())
      out.once('error', (error) => reject(new UserError(`cannot write job log ${file}: ${error.message}`, 'check the path')))
    })
    if (size === 0) out.write(`${JOBLOG_COLUMNS.join('\t')}\n`)
    return new JobLog(out)
  }

  write(digest: string, r: AttemptRecord): void {
    const row = [
      digest,
      r.task,
      r.line,
      r.attempt,
      r.node,
      new Date(r.startedAt).toISOString(),
      r.durationMs,
      r.exitCode ?? '',
      r.signal ?? '',
      r.status,
      r.bytesUp,
      r.bytesDown,
    ]
    this.out.write(`${row.map((v) => String(v).replace(/[\t\r\n]/g, ' ')).join('\t')}\n`)
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.out.end(() => resolve()))
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
