// Fuzzing the two doors a task comes in by, the task-line parser and the `run` message, over names,
// env maps, globs and paths. The invariant: a task is refused before anything starts, or it runs with
// exactly the names it was given (no name renamed, split at `=`, or cut at NUL on the way).
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decodeFrame, encodeFrame, ENV_NAME, ProtocolError, type Outgoing } from '../../src/protocol/index.js'
import { parseTasks, TaskFileError } from '../../src/tasks/index.js'
import { authenticated, framesUntilClose, node, reserveRaw, runOne, send } from './harness.js'

// Names near the edge: valid ones, and ones with `=`, NUL, spaces, digits first, `__proto__`, empty.
const envName = fc.oneof(
  fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,12}$/),
  fc.constantFrom('', '=', 'A=B', 'BASH_ENV=/tmp/x', 'A\0B', '1A', 'A B', '__proto__', '__proto_', 'constructor', 'É'),
  fc.string({ maxLength: 8 }),
)
const envValue = fc.oneof(fc.string({ maxLength: 16 }), fc.constantFrom('a\0b', '=', ''))
const envMap = fc.dictionary(envName, envValue, { maxKeys: 5 })
const glob = fc.oneof(
  fc.stringMatching(/^[a-z*?[\]{},/.!\\-]{1,24}$/),
  fc.constantFrom('*a*a*a*a*a*a*a*ab', '**/*.txt', '{a,b}'.repeat(8), '../x', '/abs', 'a/**/b', '[!a]*'),
)
const wirePath = fc.oneof(
  fc.stringMatching(/^[a-z.]{1,6}(\/[a-z.]{1,6}){0,3}$/),
  fc.constantFrom('..', '../x', '/etc/passwd', 'a//b', 'a/./b', 'C:x', 'a\\b', 'a\0b', ''),
)

const sameEnv = (given: Record<string, string>, got: Readonly<Record<string, string>>): void => {
  expect(Object.keys(got).sort()).toEqual(Object.keys(given).sort())
  for (const [k, v] of Object.entries(given)) expect(got[k]).toBe(v)
}

// Object.fromEntries keeps a "__proto__" key as an own property (assignment would set the prototype).
const entries = (m: Record<string, string>): Record<string, string> => Object.fromEntries(Object.entries(m))

describe('fuzzing the task line and the run message', { timeout: 120_000 }, () => {
  it('the parser refuses a task, or keeps exactly its env names and values', () => {
    fc.assert(
      fc.property(envMap, fc.array(glob, { maxLength: 3 }), (env, outputs) => {
        const line = `{"run":"true","env":${JSON.stringify(env)},"outputs":${JSON.stringify(outputs)}}`
        let task
        try {
          task = parseTasks(line, 't')[0]
        } catch (error) {
          expect(error).toBeInstanceOf(TaskFileError)
          return
        }
        expect(task).toBeDefined()
        sameEnv(env, task?.env ?? {})
        for (const name of Object.keys(task?.env ?? {})) expect(name).toMatch(ENV_NAME)
        // What the parser accepts, the wire accepts unchanged.
        const run: Outgoing = {
          type: 'run',
          lease: 'l',
          task: 't',
          name: 'n',
          command: { shell: 'true' },
          env: entries(env),
          files: [],
          outputs,
        }
        const decoded = decodeFrame(encodeFrame(run))
        if (decoded.type !== 'run') throw new Error(decoded.type)
        sameEnv(env, decoded.env)
        expect(decoded.outputs).toEqual(outputs)
      }),
      { numRuns: 400 },
    )
  })

  it('the wire refuses a run as a bad frame, or keeps exactly its names', () => {
    fc.assert(
      fc.property(envMap, fc.array(glob, { maxLength: 3 }), fc.array(wirePath, { maxLength: 3 }), (env, outputs, paths) => {
        const files = paths.map((path) => ({ path, digest: '0'.repeat(64), mode: 0o644 }))
        const run = { type: 'run', lease: 'l', task: 't', name: 'n', command: { argv: ['true'] }, env: entries(env), files, outputs }
        let decoded
        try {
          decoded = decodeFrame(encodeFrame(run as Outgoing))
        } catch (error) {
          expect((error as ProtocolError).code).toBe('DISTW_ERR_BAD_FRAME')
          return
        }
        if (decoded.type !== 'run') throw new Error(decoded.type)
        sameEnv(env, decoded.env)
        for (const name of Object.keys(decoded.env)) expect(name).toMatch(ENV_NAME)
        expect(decoded.files.map((f) => f.path)).toEqual(paths)
      }),
      { numRuns: 400 },
    )
  })

  it('a real node refuses a run before it starts, or runs it with exactly the given names', async () => {
    const d = await node()
    await fc.assert(
      fc.asyncProperty(fc.dictionary(envName, fc.stringMatching(/^[a-z0-9]{0,8}$/), { minKeys: 1, maxKeys: 3 }), async (env) => {
        const valid = Object.keys(env).every((k) => ENV_NAME.test(k) && k !== '__proto__')
        if (!valid) {
          const ws = await authenticated(d.url)
          const lease = await reserveRaw(ws)
          const seen = framesUntilClose(ws)
          send(ws, { type: 'run', lease, task: 't', name: 'f', command: { argv: ['env'] }, env: entries(env), files: [], outputs: [] })
          const { frames } = await seen
          expect(frames.map((f) => f.type)).not.toContain('started')
          return
        }
        const { exit, output } = await runOne(d, { command: { argv: ['env'] }, env })
        // A name the node's policy refuses (a loader variable) fails without running: still refused, not renamed.
        if (exit.error !== undefined) return expect(exit.error).toMatch(/not allowed|refused|variable/i)
        const seen = new Map(output.split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]))
        for (const [k, v] of Object.entries(env)) expect(seen.get(k)).toBe(v)
      }),
      { numRuns: 25 },
    )
  })
})
