// esbuild plugins that make ink 6 and its dependencies fit a CommonJS bundle (see shared STACK-NOTES):
// yoga-layout goes through an await-free shim, ink's reconciler loses its two dev-only top-level awaits.
import fs from 'node:fs/promises'
import { fileURLToPath } from 'node:url'

const YOGA_SHIM = fileURLToPath(new URL('./yoga-shim.mjs', import.meta.url))

// Maps the bare `yoga-layout` import (not `yoga-layout/load`) to the shim.
export const yogaShimPlugin = {
  name: 'distw-yoga-shim',
  setup(build) {
    build.onResolve({ filter: /^yoga-layout$/ }, () => ({ path: YOGA_SHIM }))
  },
}

// Each edit is [what ink's source says, what the bundle gets]; a miss fails the build loudly so an ink
// upgrade that moves these lines cannot silently produce a binary that crashes at start.
const RECONCILER_EDITS = [
  ["await import('./devtools.js');", '/* react devtools are not part of the distw bundle */'],
  ['? await loadPackageJson()', "? { name: 'ink', version: undefined }"],
]

// Removes the `isDev()`-guarded top-level awaits from ink/build/reconciler.js.
export const inkReconcilerPlugin = {
  name: 'distw-ink-reconciler',
  setup(build) {
    build.onLoad({ filter: /[\\/]ink[\\/]build[\\/]reconciler\.js$/ }, async (args) => {
      let text = await fs.readFile(args.path, 'utf8')
      for (const [from, to] of RECONCILER_EDITS) {
        if (!text.includes(from))
          throw new Error(`ink's reconciler.js no longer contains ${from}: update scripts/package/esbuild-plugins.mjs`)
        text = text.replace(from, to)
      }
      return { contents: text, loader: 'js' }
    })
  },
}

// Optional at run time, so left out of the bundle: their `require` fails and the fallback is used (ws
// without bufferutil, msgpackr without msgpackr-extract, oclif without typescript for tsconfig reading).
export const OPTIONAL_EXTERNALS = ['bufferutil', 'utf-8-validate', 'msgpackr-extract', 'typescript']

// Put before the bundle. (1) `import.meta.url` in ESM dependencies (fdir's createRequire) becomes this
// file's URL instead of undefined. (2) Inside the single executable, `require` loads built-ins only and
// warns on anything else: there, a non-built-in require fails like a missing module, without the warning,
// so optional dependencies fall back quietly.
export const BUNDLE_BANNER = `var __distwImportMetaUrl = require('node:url').pathToFileURL(typeof __filename === 'string' ? __filename : process.execPath).href;
if ((() => { try { return require('node:sea').isSea() } catch { return false } })()) {
  const builtinRequire = require
  const { isBuiltin } = builtinRequire('node:module')
  require = (id) => {
    if (isBuiltin(id)) return builtinRequire(id)
    throw Object.assign(new Error(\`Cannot find module '\${id}' (not part of the distw executable)\`), { code: 'MODULE_NOT_FOUND' })
  }
}`
