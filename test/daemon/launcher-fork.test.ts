// With DISTW_CLONE3=0 (or where the kernel refuses clone3) a launcher forks each task, which moves itself
// into its cgroup (src/daemon/run/launcher.mjs): the cases every task started inside its cgroup must pass
// (in-cgroup-cases.ts), that way. Each test file has a helper of its own, started by its first task, so
// the choice holds for this file only.
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { describe } from 'vitest'
import { describeStartsInCgroup } from './in-cgroup-cases.js'

process.env['DISTW_CLONE3'] = '0'

const perl = await promisify(execFile)('perl', ['-e', '1']).then(
  () => true,
  () => false,
)

describe.skipIf(!perl)('launchers that fork', () => {
  describeStartsInCgroup('tasks forked by launchers (no clone3)')
})
