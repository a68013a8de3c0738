// Runs the built CLI (bin/run.js → dist/) as a real child process, the way a user does. Every process
// started here is killed after the test, even a failing one.
import { execa } from 'execa'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, afterEach } from 'vitest'
import { stopAll, type Stoppable } from './stop.js'

export const CLI = fileURLToPath(new URL('../../bin/run.js', import.meta.url))

type Tracked = Stoppable
const children = new Set<Tracked>()
const folders = new Set<string>()

// Caches the CLI keeps between runs (submit's digest cache), for this test file only.
const cacheHome = mkdtempSync(path.join(os.tmpdir(), 'distw-cache-home-'))
afterAll(() => rmSync(cacheHome, { recursive: true, force: true }))
// The config folder (config.json, the pool secret) of the CLI this test file runs: never the user's.
const configHome = mkdtempSync(path.join(os.tmpdir(), 'distw-config-home-'))
afterAll(() => rmSync(configHome, { recursive: true, force: true }))

afterEach(async () => {
  await stopAll(children)
  children.clear()
  for (const folder of folders) await fs.rm(folder, { recursive: true, force: true })
  folders.clear()
})

/** A fresh temp folder, removed after the test. */
export async function tempDir(prefix = 'distw-test-'): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), prefix))
  folders.add(dir)
  return dir
}

// The command line that starts distw: the built CLI under this Node, or an executable (`bin`).
function commandLine(args: string[], bin?: string): [string, string[]] {
  return bin === undefined ? [process.execPath, [CLI, ...args]] : [bin, args]
}

/**
 * Runs `distw ARGS` to completion; never rejects (the test asserts on exitCode). `bin`: a distw executable.
 * `pipe`: stdin is a pipe the test writes to (child.stdin), a line at a time, as a slow producer does.
 */
export function distw(
  args: string[],
  options: { cwd?: string; input?: string; pipe?: boolean; env?: Record<string, string>; bin?: string } = {},
) {
  const child = execa(...commandLine(args, options.bin), {
    cwd: options.cwd ?? process.cwd(),
    reject: false,
    // DISTW_WAIT=0: a submit without --peer does not wait for LAN discovery before using its local node.
    // XDG_CACHE_HOME: submit's digest cache goes to a folder of this test file's, not the user's ~/.cache.
    // XDG_CONFIG_HOME: no pool secret or config file but the test's own.
    env: { DISTW_WAIT: '0', XDG_CACHE_HOME: cacheHome, XDG_CONFIG_HOME: configHome, ...options.env, CI: 'true', NO_COLOR: '1' },
    ...(options.input === undefined ? { stdin: options.pipe ? ('pipe' as const) : ('ignore' as const) } : { input: options.input }),
  })
  children.add(child)
  void child.finally(() => children.delete(child))
  return child
}

export interface DaemonProcess {
  url: string
  peer: string
  child: Tracked & { pid?: number | undefined }
  log: () => string
  /** The line the daemon printed when it started listening. */
  banner: string
  /** Everything it printed on stdout so far. */
  stdout: () => string
}

/** Starts `distw daemon --port 0 …` and resolves once it listens. `bin`: a distw executable to run instead. */
export async function spawnDaemon(
  args: string[] = [],
  options: { env?: Record<string, string>; bin?: string } = {},
): Promise<DaemonProcess> {
  const workDir = await tempDir('distw-node-')
  // Tests run as root in CI; --allow-root says that is meant.
  const child = execa(...commandLine(['daemon', '--port', '0', '--work-dir', workDir, '--allow-root', ...args], options.bin), {
    reject: false,
    buffer: false,
    env: { XDG_CONFIG_HOME: configHome, ...options.env, CI: 'true' },
  })
  children.add(child)
  void child.finally(() => children.delete(child))
  let stderr = ''
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()))
  let banner = ''
  let out = ''
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString()
      const match = /^.*listening on (wss?:\/\/\S+).*$/m.exec(out)
      banner = match?.[0] ?? ''
      if (match?.[1]) resolve(match[1])
    })
    void child.then(() => reject(new Error(`daemon exited before listening:\n${stderr}`)))
  })
  return { url, peer: url.replace(/^wss?:\/\//, ''), child, log: () => stderr, banner, stdout: () => out }
}

let shimDir: string | undefined
afterAll(() => {
  if (shimDir !== undefined) rmSync(shimDir, { recursive: true, force: true })
})

/** A folder holding a `distw` that runs the built CLI, to put first on a script's PATH (kept for the test file). */
export function distwOnPath(): string {
  if (shimDir === undefined) {
    shimDir = mkdtempSync(path.join(os.tmpdir(), 'distw-bin-'))
    writeFileSync(path.join(shimDir, 'distw'), `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`, { mode: 0o755 })
  }
  return shimDir
}

/**
 * Runs a shell script (a README example, verbatim) with `distw` on PATH as the built CLI; never rejects.
 * `DISTW_PEERS` in `env` points its submits at a test daemon.
 */
export async function shell(script: string, options: { cwd: string; env?: Record<string, string> }) {
  const bin = distwOnPath()
  const child = execa('sh', ['-c', script], {
    cwd: options.cwd,
    reject: false,
    stdin: 'ignore',
    env: {
      DISTW_WAIT: '0',
      XDG_CACHE_HOME: cacheHome,
      ...options.env,
      PATH: `${bin}:${process.env.PATH ?? ''}`,
      CI: 'true',
      NO_COLOR: '1',
    },
  })
  children.add(child)
  void child.finally(() => children.delete(child))
  return child
}
