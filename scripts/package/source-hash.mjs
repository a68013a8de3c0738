// A hash of everything that goes into the executable (sources, build scripts, package manifests and the
// Node that becomes the binary), so a rebuild is skipped when nothing changed.
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'

const INPUTS = ['src', 'scripts/package', 'package.json', 'package-lock.json']

// Lists files under `dir` (recursively), sorted, relative to `root`.
function filesUnder(root, rel) {
  const full = path.join(root, rel)
  if (!fs.existsSync(full)) return []
  if (!fs.statSync(full).isDirectory()) return [rel]
  return fs
    .readdirSync(full, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(root, path.join(entry.parentPath ?? entry.path, entry.name)))
    .sort()
}

// SHA-256 over the input files' names and contents plus the Node version.
export function sourceHash(root) {
  const hash = crypto.createHash('sha256').update(process.version).update(process.execPath)
  for (const rel of INPUTS.flatMap((input) => filesUnder(root, input))) {
    hash
      .update(rel)
      .update('\0')
      .update(fs.readFileSync(path.join(root, rel)))
      .update('\0')
  }
  return hash.digest('hex')
}
