// The command-line guards: secrets on disk, binding without a secret, running as root, and a secret
// that reaches neither a task's environment nor the wire.
import { execa } from 'execa'
import fs from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { daemonSecurityOptions } from '../../src/flags/security-options.js'
import { loadSecret } from '../../src/secret.js'
import { distw, spawnDaemon, tempDir } from '../helpers/cli.js'

const baseFlags = {
  insecure: false,
  allow: [],
  'allow-exe': [],
  'allow-exe-file': [],
  'allow-env': [],
  'max-timeout': 86_400_000,
  'max-output': 1024 ** 3,
  'allow-root': false,
}

// Each test starts several CLI processes: generous time on a loaded 2-core machine.
describe('secrets and daemon guards (CLI)', { timeout: 90_000 }, () => {
  it('`distw secret new FILE` writes a 0600 secret, never overwrites, and loose permissions are refused', async () => {
    const dir = await tempDir()
    const file = path.join(dir, 'secret')
    const made = await distw(['secret', 'new', file])
    expect(made.exitCode).toBe(0)
    expect((await fs.stat(file)).mode & 0o777).toBe(0o600)
    expect((await fs.readFile(file, 'utf8')).trim()).toMatch(/^[0-9a-f]{64}$/)
    const again = await distw(['secret', 'new', file])
    expect(again.exitCode).toBe(2)
    expect(again.stderr).toContain('already exists')
    await fs.chmod(file, 0o644)
    await expect(loadSecret({ file })).rejects.toThrow(/read by other users/)
    await expect(loadSecret({ env: { DISTW_SECRET: 'short' } })).rejects.toThrow(/at least 16/)
  })

  it('`distw secret new` with piped input takes the input for no file name (and prints no secret to a pipe)', async () => {
    const dir = await tempDir()
    const printed = await distw(['secret', 'new'], { cwd: dir, input: 'stray\n' })
    expect(printed.stderr).toContain('refusing to print a secret to a pipe')
    expect(printed.stdout).toBe('')
    expect(await fs.readdir(dir)).toEqual([])
  })

  it('refuses a LAN address without a secret, allows it with --insecure, and says loopback-only otherwise', async () => {
    const refused = await distw(['daemon', '--port', '0', '--bind', '0.0.0.0', '--allow-root'])
    expect(refused.exitCode).toBe(2)
    expect(refused.stderr).toContain('without a shared secret')
    const local = await spawnDaemon()
    await waitFor(() => local.log().includes('loopback'))
    const insecure = await spawnDaemon(['--bind', '0.0.0.0', '--insecure'])
    await waitFor(() => insecure.log().includes('INSECURE'))
  })

  it('--allow-exe-file lets only that executable run; a bad --allow-exe is a usage error', async () => {
    const echo = (await execa('which', ['echo'])).stdout.trim()
    const node = await spawnDaemon(['--allow-exe-file', echo])
    const dir = await tempDir()
    const ok = await distw(['submit', '-', '--peer', node.peer], { cwd: dir, input: 'echo allowed\n' })
    expect(ok.exitCode).toBe(0)
    expect(ok.stdout).toContain('allowed')
    const refused = await distw(['submit', '-', '--peer', node.peer], { cwd: dir, input: 'touch nope\n' })
    expect(refused.exitCode).toBe(1)
    expect(refused.stderr).toContain('--allow-exe')
    await expect(fs.access(path.join(dir, 'nope'))).rejects.toThrow()
    const bad = await distw(['daemon', '--port', '0', '--allow-root', '--allow-exe', 'abc'])
    expect(bad.exitCode).toBe(2)
    expect(bad.stderr).toContain('is not a SHA-256')
  })

  it('refuses a node name that no submitter could accept (empty, too long, control characters)', async () => {
    for (const name of ['', 'x'.repeat(65), 'two\nlines']) {
      const bad = await distw(['daemon', '--port', '0', '--allow-root', '--name', name])
      expect(bad.exitCode).toBe(2)
      expect(bad.stderr).toContain('a name is 1–64 characters')
    }
  })

  it('refuses to run as root unless --allow-root', async () => {
    await expect(daemonSecurityOptions(baseFlags, 0)).rejects.toThrow(/refusing to run as root/)
    await expect(daemonSecurityOptions({ ...baseFlags, 'allow-root': true }, 0)).resolves.toBeDefined()
    await expect(daemonSecurityOptions(baseFlags, 1000)).resolves.toBeDefined()
    if (process.getuid?.() === 0) {
      const run = await distw(['daemon', '--port', '0'])
      expect(run.exitCode).toBe(2)
      expect(run.stderr).toContain('--allow-root')
    }
  })

  it('says a port in use is in use, and what to do, instead of a raw EADDRINUSE', async () => {
    const first = await spawnDaemon()
    const port = first.peer.split(':')[1] as string
    const second = await distw(['daemon', '--port', port, '--work-dir', await tempDir(), '--allow-root'])
    expect(second.exitCode).toBe(2)
    expect(second.stderr).toContain(`distw: 127.0.0.1:${port} is already in use`)
    expect(second.stderr).toContain('give --port')
    expect(second.stderr).not.toMatch(/Code: EADDRINUSE/)
    // Said once, in words: not also as a raw "server error" log line.
    expect(second.stderr).not.toContain('server error')
    // Without --work-dir it made a temp folder of its own: not left behind.
    const tmp = await tempDir()
    const third = await distw(['daemon', '--port', port, '--allow-root'], { env: { TMPDIR: tmp } })
    expect(third.exitCode).toBe(2)
    expect(await fs.readdir(tmp)).toEqual([])
  })

  it('with DISTW_SECRET, serves submitters holding the secret, and tasks never see it', async () => {
    const secret = 'f00dfeedf00dfeedf00dfeedf00dfeed'
    const node = await spawnDaemon(['--bind', '127.0.0.1'], { env: { DISTW_SECRET: secret } })
    const dir = await tempDir()
    const without = await distw(['submit', '-', '--peer', node.peer], { cwd: dir, input: 'true\n' })
    expect(without.exitCode).not.toBe(0)
    expect(without.stderr).toContain('requires a shared secret')
    const secretFile = path.join(dir, 'secret')
    await fs.writeFile(secretFile, secret, { mode: 0o600 })
    const run = await distw(['submit', '-', '--peer', node.peer, '--secret-file', secretFile], { cwd: dir, input: 'env > env.txt\n' })
    expect(run.exitCode).toBe(0)
    const env = await fs.readFile(path.join(dir, 'env.txt'), 'utf8')
    expect(env).not.toContain(secret)
    expect(env).not.toContain('DISTW_SECRET')
    expect(env).toContain('DISTW_NODE=')
  })
})

async function waitFor(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 25))
  }
}
