// Prints a pool command's report: the join code alone on stdout (what a script captures), the rest on stderr.
import type { PoolReport } from './pool.js'

export function printPoolReport(report: PoolReport): void {
  if (report.code !== undefined) process.stdout.write(`${report.code}\n`)
  for (const line of report.notes) process.stderr.write(`${line}\n`)
}
