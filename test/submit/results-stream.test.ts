// submitResults: results arrive through the iterator as tasks finish, and a batch that cannot start
// (a bad task line) throws from the iterator and rejects `.batch`.
import { describe, expect, it } from 'vitest'
import { submitResults } from '../../src/submit/results-stream.js'
import { tempDir } from '../helpers/cli.js'

describe('submitResults', () => {
  it('yields one result per task on an embedded node, then the batch', async () => {
    const cwd = await tempDir()
    const stream = submitResults({ tasks: 'echo a > a.txt\nexit 4', cwd, localSlots: 1 })
    const seen: string[] = []
    for await (const result of stream) seen.push(`${result.status}:${result.exitCode}`)
    expect(seen.sort()).toEqual(['failed:4', 'succeeded:0'])
    expect((await stream.batch).ok).toBe(false)
  })

  it('throws the task-file error from the iterator', async () => {
    const stream = submitResults({ tasks: '{"run": 3}', cwd: await tempDir() })
    await expect(stream.batch).rejects.toThrow(/tasks:1/)
    await expect(
      (async () => {
        for await (const _ of stream) expect.unreachable()
      })(),
    ).rejects.toThrow(/tasks:1/)
  })
})
