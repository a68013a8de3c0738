// `npm run demo`: makes a few data files, then runs examples/demo/tasks.txt through `distw submit`
// on an embedded local node. The compressed files and checksums come back into examples/demo/out/.
import { spawnSync } from 'node:child_process'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const here = fileURLToPath(new URL('.', import.meta.url))
const cli = fileURLToPath(new URL('../../bin/run.js', import.meta.url))

rmSync(`${here}/out`, { recursive: true, force: true })
mkdirSync(`${here}/data`, { recursive: true })
for (let part = 1; part <= 6; part++) {
  // Deterministic, compressible text: the same run gives the same checksums.
  const lines = Array.from({ length: 20_000 * part }, (_, i) => `part ${part} line ${i} value ${(i * 7919 + part) % 10007}`)
  writeFileSync(`${here}/data/part-${part}.txt`, lines.join('\n') + '\n')
}
console.log(`demo: made 6 data files in ${here}data; running the batch on an embedded local node\n`)
const run = spawnSync(process.execPath, [cli, 'submit', 'tasks.txt'], { cwd: here, stdio: 'inherit' })
if (run.status === 0) console.log(`\ndemo: returned files are in ${here}out/`)
process.exitCode = run.status ?? 1
