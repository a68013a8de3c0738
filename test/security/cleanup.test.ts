// Every started task gets exactly one `exit`, whatever its clean-up meets (issue 22 item 4): a process
// it left behind that keeps writing into its folder, or a folder that cannot be removed at all.
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import type { Message } from '../../src/protocol/index.js'
import { authenticated, node, reserveRaw, send, stillServes } from './harness.js'
import type { WebSocket } from 'ws'

// Runs one task on a raw socket and collects its frames until 1 s after its first `exit`.
async function exitsOf(ws: WebSocket, shell: string): Promise<Message[]> {
  const lease = await reserveRaw(ws)
  const frames: Message[] = []
  const { decodeFrames } = await import('../../src/protocol/index.js')
  const done = new Promise<void>((resolve) => {
    ws.on('message', (data) => {
      for (const frame of decodeFrames(data as Buffer)) {
        frames.push(frame)
        if (frame.type === 'exit') setTimeout(resolve, 1000)
      }
    })
  })
  send(ws, { type: 'run', lease, task: 't1', name: 'leaver', command: { shell }, env: {}, files: [], outputs: [] })
  await done
  return frames.filter((f) => f.type === 'exit')
}

// chattr +i needs a file system with attributes (ext4 here) and root.
const immutableWorks = ((): boolean => {
  const dir = fs.mkdtempSync('/tmp/distw-chattr-')
  try {
    fs.writeFileSync(path.join(dir, 'f'), '')
    const ok = spawnSync('chattr', ['+i', path.join(dir, 'f')]).status === 0
    spawnSync('chattr', ['-i', path.join(dir, 'f')])
    return ok
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
})()

describe('a task whose clean-up meets trouble still gets exactly one exit', () => {
  it('a setsid child that keeps creating files in the task folder', async () => {
    const d = await node({ slots: 1 })
    const ws = await authenticated(d.url)
    const loop = `setsid sh -c 'while :; do mkdir -p d/$$; touch d/$$/f$RANDOM; done' > /dev/null 2>&1 & echo started; sleep 0.3`
    const exits = await exitsOf(ws, loop)
    expect(exits).toHaveLength(1)
    expect(exits[0]).toMatchObject({ type: 'exit', exitCode: 0 })
    expect(fs.readdirSync(path.join(d.workDir, 'tasks'))).toEqual([])
    await stillServes(d)
  })

  it.skipIf(!immutableWorks)('a task folder that cannot be removed (an immutable file in it): the node logs it and goes on', async () => {
    const log: string[] = []
    const d = await node({ slots: 1, log: (event, fields) => log.push(`${event} ${JSON.stringify(fields ?? {})}`) })
    try {
      const ws = await authenticated(d.url)
      const exits = await exitsOf(ws, 'touch stuck && chattr +i stuck')
      expect(exits).toHaveLength(1)
      expect(exits[0]).toMatchObject({ type: 'exit', exitCode: 0 })
      expect(log.some((line) => line.startsWith('task folder not removed'))).toBe(true)
      // tasks/ holds only running tasks' folders: the stuck one was moved aside.
      expect(fs.readdirSync(path.join(d.workDir, 'tasks'))).toEqual([])
      await stillServes(d)
    } finally {
      spawnSync('chattr', ['-R', '-i', d.workDir])
    }
  })
})
