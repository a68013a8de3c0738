// A daemon must outlive its clients' mistakes: garbage frames close that connection only, and a
// client that disconnects mid-task gets its task killed and its folder removed.
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { startDaemon, type RunningDaemon } from '../../src/daemon/daemon.js'
import { NodeClient } from '../../src/client/node-client.js'
import { submit } from '../../src/submit/submit.js'

let daemon: RunningDaemon | undefined
afterEach(async () => {
  await daemon?.close()
  daemon = undefined
})

function rawSocket(url: string): Promise<WebSocket> {
  const ws = new WebSocket(url)
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws))
    ws.once('error', reject)
  })
}

function closeCode(ws: WebSocket): Promise<number> {
  return new Promise((resolve) => ws.once('close', (code) => resolve(code)))
}

async function stillServes(d: RunningDaemon): Promise<void> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'distw-serve-'))
  try {
    const batch = await submit({ tasks: 'echo ok > ok.txt', cwd: dir, peers: [d.url.replace('ws://', '')] })
    expect(batch.ok).toBe(true)
    expect(await fs.readFile(path.join(dir, 'ok.txt'), 'utf8')).toBe('ok\n')
  } finally {
    await fs.rm(dir, { recursive: true, force: true })
  }
}

describe('daemon robustness', () => {
  it('closes a connection that sends garbage, and keeps serving others', async () => {
    daemon = await startDaemon({ port: 0, slots: 1 })
    for (const garbage of [Buffer.from('garbage'), Buffer.from([0xdd, 0xff, 0xff, 0xff, 0xff]), 'a text frame']) {
      const ws = await rawSocket(daemon.url)
      const closed = closeCode(ws)
      ws.send(garbage)
      expect(await closed).toBeGreaterThanOrEqual(1000)
    }
    await stillServes(daemon)
  })

  it('closes a connection that skips the handshake', async () => {
    daemon = await startDaemon({ port: 0, slots: 1 })
    const ws = await rawSocket(daemon.url)
    const closed = closeCode(ws)
    const { encodeFrame } = await import('../../src/protocol/index.js')
    ws.send(encodeFrame({ type: 'reserve', id: 1, slots: 1 }))
    expect(await closed).toBe(4401)
    await stillServes(daemon)
  })

  it('kills the task of a client that disconnects mid-task and removes its folder', async () => {
    daemon = await startDaemon({ port: 0, slots: 1, killGraceMs: 500, submitterGraceMs: 200 })
    const client = await NodeClient.connect(daemon.url, { client: 'test' })
    const lease = await client.reserve(1)
    expect(lease).toBeDefined()
    let pid = 0
    const gotPid = new Promise<void>((resolve) => {
      void client
        .run(
          { lease: lease!, task: 't1', name: 'sleeper', command: { shell: 'echo $$; exec sleep 30' }, env: {}, files: [], outputs: [] },
          {
            onOutput: (_stream, data) => {
              pid = Number(data.toString().trim())
              resolve()
            },
            onFile: async () => {},
          },
        )
        .catch(() => {})
    })
    await gotPid
    expect(isAlive(pid)).toBe(true)
    client.close()
    await waitFor(() => !isAlive(pid), 5000)
    await waitFor(async () => (await fs.readdir(path.join(daemon!.workDir, 'tasks'))).length === 0, 5000)
    await stillServes(daemon)
  })
})

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 20))
  }
}
