// The baseline for bulk transfer: a raw Node TCP socket on loopback carrying a file from disk to disk.
// `recv` listens, writes what arrives to `dest` and prints its report; `send` streams `file` to `port`.
import { once } from 'node:events'
import { createReadStream, createWriteStream } from 'node:fs'
import net from 'node:net'
import { pipeline } from 'node:stream/promises'

const config = JSON.parse(process.argv[2])
if (config.mode === 'recv') {
  const server = net.createServer(async (socket) => {
    const started = performance.now()
    await pipeline(socket, createWriteStream(config.dest))
    const durationMs = performance.now() - started
    process.stdout.write(`${JSON.stringify({ durationMs, maxRssBytes: process.resourceUsage().maxRSS * 1024 })}\n`)
    server.close()
  })
  server.listen(0, '127.0.0.1', () => process.stdout.write(`port ${server.address().port}\n`))
} else {
  const socket = net.connect(config.port, '127.0.0.1')
  await once(socket, 'connect')
  const started = performance.now()
  await pipeline(createReadStream(config.file, { highWaterMark: 1024 * 1024 }), socket)
  process.stdout.write(
    `${JSON.stringify({ durationMs: performance.now() - started, maxRssBytes: process.resourceUsage().maxRSS * 1024 })}\n`,
  )
}
