// The library example in examples/api runs as documented: `import … from 'distw'` resolves to this
// package (self-reference through "exports"), a real in-process node runs the batch.
import { execa } from 'execa'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

describe('examples/api/example.mjs', () => {
  it('runs a batch through the library and streams each result', async () => {
    const run = await execa(process.execPath, ['examples/api/example.mjs'], { cwd: ROOT, reject: false, env: { CI: 'true' } })
    expect(run.stderr).toBe('')
    expect(run.exitCode).toBe(0)
    for (const n of [1, 2, 3]) expect(run.stdout).toContain(`finished count-${n}: succeeded (exit 0) files: count-${n}.txt`)
    expect(run.stdout).toMatch(/started {2}count-1 on example-node/)
    expect(run.stdout).toContain('batch ok; total lines: 6000')
  })
})
