// What a task may do on a node: loader/shell-hijacking variables are refused unless allowed, and with
// --allow-exe only executables with a listed SHA-256 run (same name, other content: refused).
import { createHash } from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { plainShellWords } from '../../src/daemon/run/shell-words.js'
import { isHijackingVariable } from '../../src/daemon/policy/policy-env.js'
import { submit } from '../../src/submit/submit.js'
import { Packr } from 'msgpackr'
import { PROTOCOL_VERSION } from '../../src/protocol/index.js'
import { authenticated, closed, marker, node, runOne, scratch, stillServes } from './harness.js'

describe('task environment', () => {
  it('refuses LD_PRELOAD and friends before anything runs, unless the node allows the name', async () => {
    const d = await node()
    const m = await marker()
    for (const env of [
      { LD_PRELOAD: '/tmp/evil.so' },
      { NODE_OPTIONS: '--require /tmp/x.js' },
      { BASH_ENV: '/tmp/x' },
      { DYLD_INSERT_LIBRARIES: 'x' },
    ]) {
      const { exit } = await runOne(d, { command: { shell: `touch ${m.file}` }, env })
      expect(exit.error).toMatch(/refused environment variable/)
      expect(exit.exitCode).toBeNull()
    }
    expect(await m.ran()).toBe(false)
    const allowing = await node({ policy: { allowEnv: ['LD_LIBRARY_PATH'] } })
    const { exit, output } = await runOne(allowing, { command: { shell: 'echo "$LD_LIBRARY_PATH"' }, env: { LD_LIBRARY_PATH: '/opt/lib' } })
    expect(exit.exitCode).toBe(0)
    expect(output).toBe('/opt/lib\n')
    await stillServes(d)
  })

  it('does not let a __proto__ key in env smuggle LD_PRELOAD in', async () => {
    const d = await node()
    const m = await marker()
    const ws = await authenticated(d.url)
    const code = closed(ws)
    const pack = (value: unknown) => new Packr({ useRecords: false }).pack(value)
    // env = { __proto__: { LD_PRELOAD: … }, A: 'b' }, written key by key so no JS object interferes.
    const env = Buffer.concat([Buffer.from([0x82]), pack('__proto__'), pack({ LD_PRELOAD: '/tmp/evil.so' }), pack('A'), pack('b')])
    const head = { v: PROTOCOL_VERSION, type: 'run', lease: 'l', task: 't', name: 'n', command: { shell: `touch ${m.file}` } }
    const tail = { files: [], outputs: [] }
    const headBytes = mapBody(pack(head)) // the keys are re-counted in the header below
    const tailBytes = mapBody(pack(tail))
    ws.send(Buffer.concat([Buffer.from([0x80 | 9]), headBytes, pack('env'), env, tailBytes]))
    expect(await code).toBe(4400)
    expect(await m.ran()).toBe(false)
    await stillServes(d)
  })

  it('starts from a minimal base environment, not the daemon one', async () => {
    process.env.DISTW_TEST_LEAK = 'leaked'
    try {
      const d = await node()
      const { output } = await runOne(d, { command: { shell: 'env' } })
      expect(output).not.toContain('DISTW_TEST_LEAK')
      expect(output).toContain('DISTW_NODE=')
    } finally {
      delete process.env.DISTW_TEST_LEAK
    }
  })

  it('names the hijacking variables', () => {
    for (const name of [
      'LD_PRELOAD',
      'LD_LIBRARY_PATH',
      'LD_AUDIT',
      'DYLD_LIBRARY_PATH',
      'NODE_OPTIONS',
      'BASH_ENV',
      'ENV',
      'PYTHONSTARTUP',
      'PERL5OPT',
      'BASH_FUNC_x%%',
    ])
      expect(isHijackingVariable(name), name).toBe(true)
    for (const name of ['HOME', 'LANG', 'MY_SETTING', 'PATH']) expect(isHijackingVariable(name), name).toBe(false)
  })
})

describe('executable allowlist', () => {
  it('runs only an allow-listed executable; the same name with other content is refused', async () => {
    const good = '#!/bin/sh\necho "tool v1 $*"\n'
    const d = await node({ policy: { allowExe: [createHash('sha256').update(good).digest('hex')] } })
    const m = await marker()
    const dir = await scratch()
    const tool = path.join(dir, 'tool')
    await fs.writeFile(tool, `#!/bin/sh\ntouch ${m.file}\n`, { mode: 0o755 })
    const run = (line: string) =>
      submit({ tasks: JSON.stringify({ ...JSON.parse(line), inputs: ['tool'] }), cwd: dir, peers: [d.url.slice(5)] })

    const impostor = await run('{"argv":["./tool"]}')
    expect(impostor.results[0]?.reason).toMatch(/not on this node's --allow-exe list/)
    const other = await run(`{"argv":["touch","${m.file}"]}`)
    expect(other.results[0]?.reason).toMatch(/not on this node's --allow-exe list/)
    expect(await m.ran()).toBe(false)

    await fs.writeFile(tool, good, { mode: 0o755 })
    const lines: string[] = []
    const observer = { taskOutput: (_t: unknown, _s: string, data: Buffer) => void lines.push(data.toString()) }
    const plain = await submit({
      tasks: JSON.stringify({ run: './tool a b', inputs: ['tool'] }),
      cwd: dir,
      peers: [d.url.slice(5)],
      observer,
    })
    expect(plain.ok).toBe(true)
    expect(lines.join('')).toBe('tool v1 a b\n')
    for (const line of [`./tool; touch ${m.file}`, `./tool $(touch ${m.file})`, `./tool && touch ${m.file}`, `X=1 ./tool`, `./tool > f`]) {
      const shelled = await submit({ tasks: JSON.stringify({ run: line, inputs: ['tool'] }), cwd: dir, peers: [d.url.slice(5)] })
      expect(shelled.results[0]?.reason, line).toMatch(/shell syntax could run anything/)
    }
    expect(await m.ran()).toBe(false)
  })

  it('accepts only plain word lists as shell lines under an allowlist', () => {
    expect(plainShellWords('./render --frame 7 out.png')).toEqual(['./render', '--frame', '7', 'out.png'])
    for (const line of ['a;b', 'a|b', 'a $X', 'a `b`', "a 'b'", 'a *', 'A=1 b', 'a > f', 'a\\ b', 'a ~', 'a#b']) {
      expect(plainShellWords(line), line).toBeUndefined()
    }
  })
})

// The key/value pairs of a packed map, without its header (fixmap or map16).
function mapBody(packed: Buffer): Buffer {
  return packed.subarray(packed[0] === 0xde ? 3 : 1)
}
