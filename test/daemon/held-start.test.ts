// Where there is no perl, tasks under a node's cgroup start from held shells (src/daemon/run/held-start.mjs):
// the cases every task started inside its cgroup must pass (in-cgroup-cases.ts), this way. Each test
// file has a helper of its own, started by its first task, so the choice holds for this file only.
import { describeStartsInCgroup } from './in-cgroup-cases.js'

process.env['DISTW_LAUNCHER'] = '0'

describeStartsInCgroup('tasks started from held shells (no launcher)')
