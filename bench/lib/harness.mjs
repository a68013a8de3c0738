// Shared by the benchmarks: the built CLI and library run in child processes (so RSS is per process),
// timers, machine facts, and the BENCHMARKS.md section writer. Not a test helper: nothing here asserts.
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export const ROOT = fileURLToPath(new URL('../..', import.meta.url))
export const CLI = path.join(ROOT, 'bin/run.js')
export const LIB = path.join(ROOT, 'dist/lib.js')
export const MiB = 1024 * 1024
const temps = []

/** A temp folder removed by cleanup(). */
export async function tempDir(prefix = 'distw-bench-') {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), prefix))
  temps.push(dir)
  return dir
}

export async function cleanup() {
  for (const dir of temps.splice(0)) await fs.rm(dir, { recursive: true, force: true })
}

/** Peak (VmHWM) and current (VmRSS) resident set of a process, in bytes. */
export async function memoryOf(pid) {
  return statusMemory(await fs.readFile(`/proc/${pid}/status`, 'utf8'))
}

/** memoryOf, read at once (for a process that may exit before an await returns). */
export function memoryOfSync(pid) {
  return statusMemory(readFileSync(`/proc/${pid}/status`, 'utf8'))
}

function statusMemory(status) {
  const kib = (field) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024
  return { rss: kib('VmRSS'), peak: kib('VmHWM') }
}

/** `--allow-root` when this runs as root (as CI and these machines do): the daemon refuses root otherwise. */
export const ROOT_FLAGS = process.getuid?.() === 0 ? ['--allow-root'] : []

/** Starts `distw daemon` from the built CLI on a free loopback port; `env` is added to this process's. */
export async function startDaemon(args = [], env = {}) {
  const workDir = await tempDir('distw-bench-node-')
  const child = spawn(process.execPath, [CLI, 'daemon', '--port', '0', '--work-dir', workDir, ...ROOT_FLAGS, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  })
  let log = ''
  child.stderr.on('data', (d) => (log += d))
  const url = await new Promise((resolve, reject) => {
    let out = ''
    child.stdout.on('data', (d) => {
      out += d
      const m = /listening on (wss?:\/\/\S+)/.exec(out)
      if (m) resolve(m[1])
    })
    child.once('exit', (code) => reject(new Error(`daemon exited (${code}) before listening:\n${log}`)))
  })
  return {
    url,
    peer: url.replace(/^wss?:\/\//, ''),
    pid: child.pid,
    workDir,
    log: () => log,
    memory: () => memoryOf(child.pid),
    /** The daemon's spawn helper (src/daemon/run/spawn-helper.mjs): its one child once no task runs. */
    async helperMemory() {
      const children = await fs.readFile(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8')
      const [helper] = children.trim().split(/\s+/).filter(Boolean)
      return helper ? memoryOf(helper) : { rss: NaN, peak: NaN }
    },
    async stop() {
      const exited = new Promise((r) => child.once('exit', r))
      child.kill('SIGTERM')
      await exited
    },
  }
}

/**
 * Runs a command to completion and times it from outside. `report` children print one JSON line last
 * (their own timings and process.resourceUsage().maxRSS), returned as `report`.
 */
export function run(file, args, { input, cwd, env } = {}) {
  return new Promise((resolve, reject) => {
    const started = performance.now()
    const child = spawn(file, args, { cwd, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    child.once('error', reject)
    child.once('exit', (code) => {
      const wallMs = performance.now() - started
      if (code !== 0) return reject(new Error(`${file} ${args.join(' ')} exited ${code}:\n${stderr.slice(-2000)}`))
      const last = stdout.trim().split('\n').pop() ?? ''
      let report
      try {
        report = last.startsWith('{') ? JSON.parse(last) : undefined
      } catch {}
      resolve({ wallMs, stdout, stderr, report })
    })
    child.stdin.end(input ?? '')
  })
}

/** Runs one of bench/lib's child scripts with a JSON config; resolves to what it reports. */
export async function runChild(script, config) {
  const { report, wallMs } = await run(process.execPath, [path.join(ROOT, 'bench/lib', script), JSON.stringify(config)])
  return { ...report, outerWallMs: wallMs }
}

export async function which(command) {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    try {
      await fs.access(path.join(dir, command), fs.constants.X_OK)
      return path.join(dir, command)
    } catch {}
  }
  return undefined
}

/** Machine facts written beside every section, so figures from different runs stay comparable. */
export function machine() {
  const [l1, l5, l15] = os.loadavg().map((l) => l.toFixed(2))
  return {
    cores: os.availableParallelism(),
    cpu: os.cpus()[0]?.model.trim() ?? 'unknown',
    memory: `${Math.round(os.totalmem() / 1024 ** 3)} GiB`,
    node: process.version,
    os: `${os.type()} ${os.release()}`,
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    load: `${l1}, ${l5}, ${l15}`,
  }
}

export const mib = (bytes) => `${(bytes / MiB).toFixed(0)} MiB`
export const secs = (ms) => `${(ms / 1000).toFixed(2)} s`
export const ratio = (x) => `${x.toFixed(2)}×`
export const verdict = (ok) => (ok ? 'met' : 'MISSED')

/** A Markdown table from a header and rows. */
export function table(header, rows) {
  const line = (cells) => `| ${cells.join(' | ')} |`
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n')
}

/** Replaces (or appends) the text between `<!-- bench:NAME:start -->` and `<!-- bench:NAME:end -->`. */
export function replaceSection(document, name, body) {
  const start = `<!-- bench:${name}:start -->`
  const end = `<!-- bench:${name}:end -->`
  const block = `${start}\n${body.trim()}\n${end}`
  const from = document.indexOf(start)
  const to = document.indexOf(end)
  if (from >= 0 && to > from) return document.slice(0, from) + block + document.slice(to + end.length)
  return `${document.trimEnd()}\n\n${block}\n`
}
