// Fails when the committed oclif.manifest.json differs from the one `npm run build` just wrote.
import { execFileSync } from 'node:child_process'

const diff = execFileSync('git', ['status', '--porcelain', '--', 'oclif.manifest.json'], { encoding: 'utf8' })
if (diff.trim() !== '') {
  console.error('oclif.manifest.json is out of date: run `npm run build` and commit it')
  process.exitCode = 1
}
