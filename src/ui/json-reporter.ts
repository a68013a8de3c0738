// `distw submit --json`: one JSON object per line on stdout for every event of the batch, for CI
// scripts (`jq`-friendly). Output bytes are given as UTF-8 text (invalid sequences replaced); a
// character that a chunk boundary cut in two is held back and sent whole with the next event.
import { StringDecoder } from 'node:string_decoder'
import { totalsOf, type BatchTotals, type SubmitObserver, type TaskResult } from '../submit/result.js'
import { TaskStreams } from './task-streams.js'

/**
 * `write` returns false when the reader is behind (like stream.write); task output then waits for
 * `drained`, which holds the connection and so the task (a slow `jq` slows the batch, not memory).
 */
export function jsonReporter(
  write: (line: string) => boolean | void,
  drained?: () => Promise<void>,
): SubmitObserver & { finished(results: TaskResult[], durationMs: number, exitCode: number, totals?: BatchTotals): void } {
  const emit = (event: string, fields: Record<string, unknown>): boolean | void =>
    write(`${JSON.stringify({ event, time: new Date().toISOString(), ...fields })}\n`)
  const decoders = new TaskStreams(() => new StringDecoder('utf8'))
  // Bytes left of a cut character when an attempt ends are sent as they are (replaced).
  const endOutput = (task: string) =>
    decoders.end(task, (decoder, stream) => {
      const rest = decoder.end()
      if (rest) emit('task-output', { task, stream, data: rest })
    })
  return {
    warning: (message) => emit('warning', { message }),
    lineRejected: (problem) => emit('line-rejected', { ...problem }),
    // `for`: what the batch waits for while it runs nothing; null once the wait is over.
    waiting: (reason) => emit('waiting', { for: reason ?? null }),
    nodeAdded: (node, url) => emit('node-added', { node: node.name, id: node.id, url, slots: node.slots }),
    nodeLost: (node, reason) => emit('node-lost', { node: node.name, id: node.id, reason }),
    taskQueued: (task) => emit('task-queued', { task: task.name, line: task.line }),
    taskStarted: (task, node, attempt) => {
      endOutput(task.name)
      emit('task-started', { task: task.name, node: node.name, attempt })
    },
    taskOutput: (task, stream, data) => {
      const text = decoders.get(task.name, stream).write(data)
      if (text !== '' && emit('task-output', { task: task.name, stream, data: text }) === false && drained) return drained()
    },
    taskFinished: (result) => {
      endOutput(result.name)
      emit('task-finished', { task: result.name, ...result })
    },
    finished: (results, durationMs, exitCode, totals = totalsOf(results)) => {
      emit('batch-finished', { exitCode, durationMs, ...totals.counts, rejected: totals.rejected, resumed: totals.resumed })
    },
  }
}
