// `npm run package`: bundles the CLI into one CommonJS file and turns a copy of this Node into a single
// executable (Node 20 SEA) at dist/distw-<platform>-<arch>. No network: esbuild and postject are local.
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { inject } from 'postject'
import { bundle } from './bundle.mjs'
import { sourceHash } from './source-hash.mjs'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2'

// Where the executable goes by default: dist/distw-linux-x64 and the like.
export function defaultOutput() {
  return path.join(ROOT, 'dist', `distw-${process.platform}-${process.arch}${process.platform === 'win32' ? '.exe' : ''}`)
}

// Builds the executable at `output` unless one built from the same sources is already there.
export async function buildExecutable(output = defaultOutput(), log = (line) => void process.stderr.write(line + '\n')) {
  const hash = sourceHash(ROOT)
  const stamp = `${output}.source-hash`
  if (fs.existsSync(output) && fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === hash) {
    log(`distw package: ${output} is up to date (sources ${hash.slice(0, 12)})`)
    return output
  }
  const started = Date.now()
  fs.mkdirSync(path.dirname(output), { recursive: true })
  const work = fs.mkdtempSync(path.join(path.dirname(output), '.sea-build-'))
  try {
    const main = path.join(work, 'distw.cjs')
    await bundle(path.join(ROOT, 'scripts/package/sea-entry.mjs'), main)
    const blob = path.join(work, 'sea-prep.blob')
    const config = { main, output: blob, disableExperimentalSEAWarning: true, useCodeCache: false, useSnapshot: false }
    fs.writeFileSync(path.join(work, 'sea-config.json'), JSON.stringify(config))
    execFileSync(process.execPath, ['--experimental-sea-config', path.join(work, 'sea-config.json')], { stdio: 'pipe' })
    const partial = path.join(work, path.basename(output))
    fs.copyFileSync(process.execPath, partial)
    fs.chmodSync(partial, 0o755)
    if (process.platform === 'darwin') execFileSync('codesign', ['--remove-signature', partial])
    await inject(partial, 'NODE_SEA_BLOB', fs.readFileSync(blob), {
      sentinelFuse: FUSE,
      ...(process.platform === 'darwin' ? { machoSegmentName: 'NODE_SEA' } : {}),
    })
    if (process.platform === 'darwin') execFileSync('codesign', ['--sign', '-', partial])
    fs.renameSync(partial, output)
    fs.writeFileSync(stamp, hash)
    log(`distw package: built ${output} in ${((Date.now() - started) / 1000).toFixed(1)} s`)
    return output
  } finally {
    fs.rmSync(work, { recursive: true, force: true })
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const outIndex = process.argv.indexOf('--output')
  await buildExecutable(outIndex > 0 ? path.resolve(process.argv[outIndex + 1]) : defaultOutput())
}
