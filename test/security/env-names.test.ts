// A variable name is `[A-Za-z_][A-Za-z0-9_]*`, checked before anything starts: on the wire (a `run` whose
// env smuggles `BASH_ENV=…` past the loader denylist through an `=` in the name never starts) and in the
// task-line parser and the programmatic API (nothing is sent).
import { describe, expect, it } from 'vitest'
import { submit } from '../../src/submit/submit.js'
import { parseTasks, TaskFileError } from '../../src/tasks/index.js'
import { taskSpec } from '../helpers/task-spec.js'
import { authenticated, framesUntilClose, marker, node, reserveRaw, scratch, send, stillServes } from './harness.js'

const BAD_NAMES = ['BASH_ENV=/tmp/evil.sh', 'A\0B', '', '1X', 'A-B', 'A B']

describe('environment names', { timeout: 60_000 }, () => {
  it('refuses a run whose env has a name that is not [A-Za-z_][A-Za-z0-9_]*, before it starts', async () => {
    const d = await node()
    const ran = await marker()
    for (const name of [...BAD_NAMES, 'OK']) {
      const ws = await authenticated(d.url)
      const lease = await reserveRaw(ws)
      const env = name === 'OK' ? { OK: 'a\0b' } : { [name]: '' }
      const seen = framesUntilClose(ws)
      send(ws, {
        type: 'run',
        lease,
        task: 't',
        name: 'evil',
        command: { argv: ['sh', '-c', `touch ${ran.file}`] },
        env,
        files: [],
        outputs: [],
      })
      const { frames, code } = await seen
      expect(frames.map((f) => f.type)).not.toContain('started')
      expect(frames.find((f) => f.type === 'error')).toMatchObject({ code: 'DISTW_ERR_BAD_FRAME' })
      expect(code).toBe(4400)
    }
    expect(await ran.ran()).toBe(false)
    await stillServes(d)
  })

  it('refuses such names in a task line and in tasks given as objects, with nothing sent', async () => {
    for (const name of BAD_NAMES) {
      expect(() => parseTasks(JSON.stringify({ run: 'true', env: { [name]: '' } }), 't')).toThrow(TaskFileError)
      const task = taskSpec({ line: 1, name: 'a', command: { argv: ['true'] }, env: { [name]: 'x' } })
      // No node is named or found: a task that passed the checks would fail to find one instead.
      await expect(submit({ tasks: [task], cwd: await scratch(), peers: ['127.0.0.1:9'] })).rejects.toThrow(/variable name/)
    }
  })
})
