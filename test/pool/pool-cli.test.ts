// `distw pool new | join | show | leave` as a user runs them, each "machine" a config folder of its own;
// every command then finds the pool's secret without a flag.
import { execa } from 'execa'
import fs from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { CLI, distw, spawnDaemon, tempDir } from '../helpers/cli.js'

// A machine of the test: its own config folder (XDG_CONFIG_HOME), hence its own pool secret.
async function machine() {
  const home = await tempDir('distw-machine-')
  const env = { XDG_CONFIG_HOME: home }
  return {
    env,
    secretFile: path.join(home, 'distw', 'secret'),
    run: (args: string[], input?: string) => distw(args, { env, ...(input === undefined ? {} : { input }) }),
  }
}

describe('distw pool', { timeout: 90_000 }, () => {
  it('new writes a 600 secret and prints its code; join stores it; show prints it again; leave removes it', async () => {
    const first = await machine()
    const made = await first.run(['pool', 'new'])
    expect(made.exitCode).toBe(0)
    const code = made.stdout.trim()
    expect(code).toMatch(/^distw-[0-9A-Z-]+$/)
    expect(made.stderr).toContain('distw pool join')
    expect(made.stderr).toContain('distw daemon install')
    expect((await fs.stat(first.secretFile)).mode & 0o777).toBe(0o600)
    expect((await first.run(['pool', 'new'])).stderr).toContain('already in a pool')

    const second = await machine()
    const typo = code.slice(0, 8) + (code[8] === 'X' ? 'Y' : 'X') + code.slice(9)
    const refused = await second.run(['pool', 'join', typo])
    expect(refused.exitCode).toBe(2)
    expect(refused.stderr).toMatch(/group 1 \(\w+\) has a typo/)
    await expect(fs.access(second.secretFile)).rejects.toThrow()
    expect((await second.run(['pool', 'join', code.toLowerCase()])).exitCode).toBe(0)
    expect((await fs.stat(second.secretFile)).mode & 0o777).toBe(0o600)
    expect((await second.run(['pool', 'show'])).stdout.trim()).toBe(code)

    expect((await second.run(['pool', 'leave'])).exitCode).toBe(0)
    await expect(fs.access(second.secretFile)).rejects.toThrow()
    const none = await second.run(['pool', 'show'])
    expect(none.exitCode).toBe(2)
    expect(none.stderr).toContain('distw pool join CODE')
  })

  it('a daemon and a submitter of the pool use its secret without a flag; a machine of no pool is refused', async () => {
    const node = await machine()
    const code = (await node.run(['pool', 'new'])).stdout.trim()
    // No --bind: a node of a pool serves every address (not announced here: other test files listen).
    const daemon = await spawnDaemon(['--no-mdns', '--no-broadcast'], { env: node.env })
    expect(daemon.url).toMatch(/^wss?:\/\/0\.0\.0\.0:\d+$/)
    expect(daemon.banner).toBeTruthy()
    await expect.poll(() => daemon.stdout()).toMatch(/pool [0-9a-f]{8} \(secret from \S+\/distw\/secret\): every address, not announced/)
    const alone = await spawnDaemon([], { env: (await machine()).env })
    await expect.poll(() => alone.stdout()).toContain('no pool: loopback only')
    const member = await machine()
    await member.run(['pool', 'join', code])
    const dir = await tempDir()
    const ok = await distw(['submit', '-', '--peer', daemon.peer], { cwd: dir, env: member.env, input: 'echo pooled\n' })
    expect(ok.exitCode).toBe(0)
    expect(ok.stdout).toContain('pooled')
    const outsider = await machine()
    const refused = await distw(['submit', '-', '--peer', daemon.peer], { cwd: dir, env: outsider.env, input: 'true\n' })
    expect(refused.exitCode).not.toBe(0)
  })

  it('`secret new` refuses a pipe or terminal, and makes a redirected file mode 600', async () => {
    const dir = await tempDir()
    const piped = await distw(['secret', 'new'], { cwd: dir })
    expect(piped.exitCode).toBe(2)
    expect(piped.stderr).toContain('refusing to print a secret')
    expect(piped.stderr).toContain('distw pool new')
    const file = path.join(dir, 'secret')
    await fs.writeFile(file, '', { mode: 0o644 })
    const redirected = await execa('sh', ['-c', `"${process.execPath}" "${CLI}" secret new > secret`], { cwd: dir, reject: false })
    expect(redirected.exitCode).toBe(0)
    expect((await fs.stat(file)).mode & 0o777).toBe(0o600)
    expect((await fs.readFile(file, 'utf8')).trim()).toMatch(/^[0-9a-f]{64}$/)
  })
})
