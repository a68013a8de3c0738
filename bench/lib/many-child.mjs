// A submitter in its own process for the many-tasks benchmark: runs `count` × `true` through the built
// library against the given nodes, samples its heap every 100 ms, and prints one JSON line: duration,
// how many tasks succeeded, peak RSS and peak heap used.
import { submit } from '../../dist/lib.js'

const config = JSON.parse(process.argv[2])
let peakHeapBytes = 0
const sampleHeap = () => (peakHeapBytes = Math.max(peakHeapBytes, process.memoryUsage().heapUsed))
const sampler = setInterval(sampleHeap, 100)
const started = performance.now()
const batch = await submit({ tasks: 'true\n'.repeat(config.count), cwd: config.cwd, peers: config.peers })
const durationMs = performance.now() - started
clearInterval(sampler)
sampleHeap()
const ok = batch.results.filter((r) => r.status === 'succeeded').length
process.stdout.write(
  `${JSON.stringify({
    durationMs,
    ok,
    total: batch.results.length,
    firstFailure: batch.results.find((r) => r.status !== 'succeeded')?.reason,
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
    peakHeapBytes,
  })}\n`,
)
