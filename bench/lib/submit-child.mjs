// A submitter in its own process: runs a task file through the built library against the given
// nodes, discards task output, and prints one JSON line: timings, payload bytes, peak RSS.
import fs from 'node:fs/promises'
import { submit } from '../../dist/lib.js'

const config = JSON.parse(process.argv[2])
const tasks = await fs.readFile(config.tasksFile, 'utf8')
const started = performance.now()
let outputBytes = 0
const batch = await submit({
  tasks,
  cwd: config.cwd,
  peers: config.peers,
  observer: { taskOutput: (_task, _stream, data) => void (outputBytes += data.length) },
  // A pool's secret (the encrypted rows): TLS with the pool's key, as `distw submit` does with one.
  ...(config.secret ? { secret: Buffer.from(config.secret, 'utf8') } : {}),
  ...(config.digestStore ? { digestStore: config.digestStore } : {}),
  ...(config.pipeline === undefined ? {} : { pipeline: config.pipeline }),
  ...(config.locality === undefined ? {} : { locality: config.locality }),
  ...(config.nodeBlobs ? { nodeBlobs: config.nodeBlobs } : {}),
})
const durationMs = performance.now() - started
const failed = batch.results.filter((r) => r.status !== 'succeeded')
process.stdout.write(
  `${JSON.stringify({
    ok: batch.ok,
    failed: failed.length,
    firstFailure: failed[0]?.reason,
    durationMs,
    bytesUp: batch.results.reduce((n, r) => n + r.bytesUp, 0),
    bytesDown: batch.results.reduce((n, r) => n + r.bytesDown, 0),
    outputBytes,
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
  })}\n`,
)
