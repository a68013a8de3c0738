// The baseline for per-task overhead: bare Node spawning `count` commands, `parallel` at a time, with
// stdout and stderr piped and read (as distw does), nothing else. Reports its own CPU time over the
// loop and that of the commands it ran (Linux; see cpu-time.mjs).
import { spawn } from 'node:child_process'
import { cpuOf, cpuSince } from './cpu-time.mjs'

const { count, parallel, command } = JSON.parse(process.argv[2])
const [file, ...args] = command
const cpuBefore = cpuOf()
const started = performance.now()
let launched = 0
let outputBytes = 0
await new Promise((resolve) => {
  let running = 0
  const next = () => {
    if (launched === count && running === 0) return resolve()
    while (running < parallel && launched < count) {
      launched++
      running++
      const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'] })
      child.stdout.on('data', (d) => (outputBytes += d.length))
      child.stderr.on('data', (d) => (outputBytes += d.length))
      child.once('close', () => {
        running--
        next()
      })
    }
  }
  next()
})
const durationMs = performance.now() - started
const cpu = cpuSince(cpuBefore, cpuOf())
process.stdout.write(`${JSON.stringify({ durationMs, outputBytes, cpu, maxRssBytes: process.resourceUsage().maxRSS * 1024 })}\n`)
