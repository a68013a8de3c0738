// Bundles an entry into one CommonJS file that needs nothing from node_modules at run time (the form a
// Node 20 single executable requires), with the plugins that make ink and its dependencies fit.
import * as esbuild from 'esbuild'
import fs from 'node:fs'
import { BUNDLE_BANNER, inkReconcilerPlugin, OPTIONAL_EXTERNALS, yogaShimPlugin } from './esbuild-plugins.mjs'

const pjson = JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8'))

// Writes `outfile` from `entry`; returns esbuild's metafile (for size checks).
export async function bundle(entry, outfile) {
  const result = await esbuild.build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    jsx: 'automatic',
    minify: false,
    legalComments: 'none',
    logLevel: 'warning',
    // package.json is not beside the binary: src/version.ts reads this instead.
    define: { __DISTW_VERSION__: JSON.stringify(pjson.version), 'import.meta.url': '__distwImportMetaUrl' },
    external: OPTIONAL_EXTERNALS,
    banner: { js: BUNDLE_BANNER },
    plugins: [yogaShimPlugin, inkReconcilerPlugin],
    metafile: true,
  })
  return result.metafile
}
