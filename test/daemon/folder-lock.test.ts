// One daemon per work folder and per cache folder: a second one would empty the first's task folders
// and half uploads as it starts. It is refused, saying which daemon holds the folder; a lock left by
// a daemon that is gone is taken over.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import fs from 'node:fs/promises'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { startDaemon, type RunningDaemon } from '../../src/daemon/daemon.js'
import { tempDir } from '../helpers/cli.js'

let daemons: RunningDaemon[] = []
afterEach(async () => {
  await Promise.all(daemons.map((d) => d.close()))
  daemons = []
})

async function node(options: Parameters<typeof startDaemon>[0]): Promise<RunningDaemon> {
  const daemon = await startDaemon({ port: 0, slots: 1, ...options })
  daemons.push(daemon)
  return daemon
}

describe('folder locks', () => {
  it('refuses a second daemon on a work folder in use, and lets one start once the first stopped', async () => {
    const workDir = await tempDir('distw-node-')
    const first = await node({ workDir })
    await expect(startDaemon({ port: 0, workDir })).rejects.toThrow(
      `work folder ${workDir} is in use by another distw daemon (pid ${process.pid})`,
    )
    await first.close()
    daemons = []
    await node({ workDir })
  })

  it('refuses a second daemon on a cache folder in use, whatever its work folder', async () => {
    const cacheDir = await tempDir('distw-cache-')
    await node({ workDir: await tempDir('distw-node-'), cacheDir })
    await expect(startDaemon({ port: 0, workDir: await tempDir('distw-node-'), cacheDir })).rejects.toThrow(
      `cache folder ${cacheDir} is in use by another distw daemon`,
    )
  })

  it('takes one lock for a work folder that is also the cache folder', async () => {
    const workDir = await tempDir('distw-node-')
    await node({ workDir, cacheDir: workDir })
    await expect(startDaemon({ port: 0, workDir: await tempDir('distw-node-'), cacheDir: workDir })).rejects.toThrow(
      /cache folder .* is in use/,
    )
  })

  it('takes over a lock whose pid now belongs to another process (reused after a reboot)', async () => {
    const workDir = await tempDir('distw-node-')
    // This test's own pid is alive, but it did not write this lock: another boot, another start time.
    await fs.writeFile(path.join(workDir, 'daemon.lock'), `${process.pid} 00000000-0000-0000-0000-000000000000:1\n`)
    await node({ workDir })
  })

  it('takes over the lock of a daemon that is gone', async () => {
    const workDir = await tempDir('distw-node-')
    const gone = spawn('true')
    await once(gone, 'exit')
    await fs.writeFile(path.join(workDir, 'daemon.lock'), `${gone.pid}\n`)
    const daemon = await node({ workDir })
    expect(await fs.readFile(path.join(workDir, 'daemon.lock'), 'utf8')).toMatch(new RegExp(`^${process.pid} `))
    await daemon.close()
    daemons = []
    await expect(fs.access(path.join(workDir, 'daemon.lock'))).rejects.toThrow()
  })
})
