// Benchmark 2: scheduling slack. 200 × `sleep 0.05` with 2 slots: the ideal is 200 × 0.05 / 2 = 5.0 s.
// Goal: ≤ 1.08 × the ideal.
import fs from 'node:fs/promises'
import path from 'node:path'
import { runChild, secs, startDaemon, table, tempDir, verdict } from './lib/harness.mjs'

export const section = 'sleep-tasks'
export const title = 'Scheduling slack: 200 × `sleep 0.05`, 2 slots'

export async function run() {
  const dir = await tempDir()
  const tasksFile = path.join(dir, 'tasks.txt')
  await fs.writeFile(tasksFile, 'sleep 0.05\n'.repeat(200))
  const ideal = (200 * 50) / 2
  const node = await runChild('spawn-loop.mjs', { count: 200, parallel: 2, command: ['sleep', '0.05'] })
  const daemon = await startDaemon(['--slots', '2'])
  let distw
  try {
    distw = await runChild('submit-child.mjs', { tasksFile, cwd: dir, peers: [daemon.peer] })
    if (!distw.ok) throw new Error(`distw batch failed: ${distw.firstFailure}`)
  } finally {
    await daemon.stop()
  }
  const x = distw.durationMs / ideal
  return `${table(
    ['runner', 'time', 'vs ideal 5.0 s'],
    [
      ['ideal (baseline)', secs(ideal), '1.00'],
      ['bare Node spawn loop', secs(node.durationMs), (node.durationMs / ideal).toFixed(3)],
      ['distw submit → daemon (loopback)', secs(distw.durationMs), x.toFixed(3)],
    ],
  )}

Goal: ≤ 1.08 × the ideal — **${x.toFixed(3)}×, ${verdict(x <= 1.08)}**.`
}
