// Parses a task file in a process of its own (so its peak RSS is the parser's): `parse` runs distw's
// parseTasks; `baseline` only splits lines and JSON.parses the JSON ones.
import fs from 'node:fs/promises'
import { parseTasks } from '../../dist/lib.js'

const { file, mode } = JSON.parse(process.argv[2])
const text = await fs.readFile(file, 'utf8')
const started = performance.now()
let tasks = 0
if (mode === 'parse') {
  tasks = parseTasks(text, file).length
} else {
  for (const line of text.split('\n')) {
    if (line.startsWith('{')) JSON.parse(line)
    if (line.trim() !== '') tasks++
  }
}
const durationMs = performance.now() - started
process.stdout.write(`${JSON.stringify({ durationMs, tasks, maxRssBytes: process.resourceUsage().maxRSS * 1024 })}\n`)
