// --pass-env: chosen variables of the daemon's environment reach tasks (by name or glob, from the flag,
// DISTW_PASS_ENV or the config file), never the daemon's own DISTW_* ones; `requires.env` is answered
// from exactly what a task gets (issue 19 item 5), with real daemon processes.
import fs from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { baseEnv } from '../../src/daemon/policy/env.js'
import { distw, spawnDaemon, tempDir } from '../helpers/cli.js'

const task =
  '{"run":"echo cuda=$CUDA_HOME lic=$LICENSE_SERVER other=$OTHER_VAR; env | grep ^DISTW_ | cut -d= -f1 | sort | tr \'\\\\n\' \' \'","requires":{"env":["CUDA_HOME"]}}\n'
const daemonEnv = { CUDA_HOME: '/opt/cuda', LICENSE_SERVER: 'lic:27000', OTHER_VAR: 'no', DISTW_SECRET_COPY: 'hidden' }

describe('--pass-env', () => {
  it('passes the named and matching variables, never DISTW_*, and requires.env sees exactly them', async () => {
    const node = await spawnDaemon(['--pass-env', 'CUDA_*', '--pass-env', 'LICENSE_SERVE?', '--pass-env', '*SECRET*'], { env: daemonEnv })
    const dir = await tempDir()
    const run = await distw(['submit', '-', '--peer', node.peer], { cwd: dir, input: task })
    expect(run.exitCode).toBe(0)
    expect(run.stdout).toContain('cuda=/opt/cuda lic=lic:27000 other=')
    expect(run.stdout).not.toContain('other=no')
    // Only the node's name and the task's tree marker: no DISTW_SECRET_COPY, whatever the glob.
    expect(run.stdout).toContain('DISTW_NODE DISTW_TASK_TREE ')
  }, 60_000)

  it("without it, a variable the daemon has is not a task's, and requires.env says so (the issue's reproduction)", async () => {
    const node = await spawnDaemon([], { env: daemonEnv })
    const run = await distw(['submit', '-', '--peer', node.peer], { cwd: await tempDir(), input: task })
    expect(run.exitCode).not.toBe(0)
    expect(run.stderr).toContain('env lacks CUDA_HOME')
  }, 60_000)

  it('comes from the config file and DISTW_PASS_ENV too', async () => {
    const dir = await tempDir()
    const config = path.join(dir, 'config.json')
    await fs.writeFile(config, JSON.stringify({ 'pass-env': ['CUDA_HOME'] }))
    const fromFile = await spawnDaemon(['--config', config], { env: daemonEnv })
    const fromEnv = await spawnDaemon([], { env: { ...daemonEnv, DISTW_PASS_ENV: 'OTHER_VAR,CUDA_HOME' } })
    const a = await distw(['submit', '-', '--peer', fromFile.peer], { cwd: dir, input: task })
    const b = await distw(['submit', '-', '--peer', fromEnv.peer], { cwd: dir, input: task })
    expect(a.stdout).toContain('cuda=/opt/cuda lic= other=')
    expect(b.stdout).toContain('cuda=/opt/cuda lic= other=no')
  }, 60_000)

  it('a bad pattern is a usage error before the daemon starts', async () => {
    const run = await distw(['daemon', '--port', '0', '--allow-root', '--pass-env', 'A=B'])
    expect(run.exitCode).toBe(2)
    expect(run.stderr).toContain('--pass-env: "A=B" is not a variable name or glob')
  })

  it('baseEnv: the fixed base, the patterns, and DISTW_NODE last', () => {
    const env = baseEnv('n1', ['X*'], { PATH: '/bin', X1: 'a', XY: 'b', Y: 'c', DISTW_SECRET: 's', DISTW_NODE: 'spoof' })
    expect(env).toEqual({ PATH: '/bin', X1: 'a', XY: 'b', DISTW_NODE: 'n1' })
  })
})
