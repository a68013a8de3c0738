// The distw version, read once from package.json so there is one place to bump it. Inside the single
// executable there is no package.json on disk: the bundler defines __DISTW_VERSION__ instead.
import { readFileSync } from 'node:fs'

declare const __DISTW_VERSION__: string | undefined

// Reads the version from the package.json next to dist/ (npm install, dev checkout).
function versionFromPackageJson(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
  return pkg.version
}

export const VERSION: string = typeof __DISTW_VERSION__ === 'string' ? __DISTW_VERSION__ : versionFromPackageJson()
