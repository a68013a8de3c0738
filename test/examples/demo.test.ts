// The Quick start's demo (`npm run demo` = `npm run build`, then examples/demo/run.mjs): its script,
// run in a network namespace of its own so that the embedded local node is the only one it can find,
// returns the compressed files, checksums and line counts into examples/demo/out/.
import fs from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { tempDir } from '../helpers/cli.js'
import { lanUnavailable, makeLan, type LanHost } from '../helpers/netns.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const OUT = path.join(ROOT, 'examples/demo/out')
const skip = lanUnavailable()
if (skip) console.log(`skipping the demo: ${skip}`)

describe.skipIf(skip !== undefined)('examples/demo/run.mjs', { timeout: 120_000 }, () => {
  it('runs the demo batch and leaves its returned files in examples/demo/out/', async () => {
    const lan = await makeLan(1)
    try {
      const home = await tempDir('distw-home-')
      const env = { HOME: home, XDG_CONFIG_HOME: path.join(home, '.config'), XDG_CACHE_HOME: path.join(home, '.cache') }
      const run = await lan.shell(lan.hosts[0] as LanHost, `"${process.execPath}" examples/demo/run.mjs`, { cwd: ROOT, env })
      expect(run.exitCode, run.stderr).toBe(0)
      expect(run.stdout).toContain('demo: returned files are in')
      const out = (await fs.readdir(OUT)).sort()
      for (let part = 1; part <= 6; part++) expect(out).toEqual(expect.arrayContaining([`part-${part}.txt.gz`, `part-${part}.sha256`]))
      expect(await fs.readFile(path.join(OUT, 'line-counts.txt'), 'utf8')).toMatch(/420000 total/)
    } finally {
      await lan.destroy()
    }
  })
})
