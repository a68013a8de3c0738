// The daemon's security flags (see docs/SECURITY.md); src/daemon/security-options.ts turns them into
// daemon options.
import { Flags } from '@oclif/core'

export const securityFlags = {
  'secret-file': Flags.string({
    description: 'file holding the shared secret (default: $DISTW_SECRET); make one with `distw secret new FILE`',
  }),
  insecure: Flags.boolean({ description: 'allow listening on a non-loopback address without a shared secret', default: false }),
  allow: Flags.string({
    description: 'client address or CIDR allowed to connect (repeatable; default: any)',
    multiple: true,
    multipleNonGreedy: true,
  }),
  'allow-exe': Flags.string({
    description: 'SHA-256 of an executable tasks may run (repeatable; when set, only these run)',
    multiple: true,
    multipleNonGreedy: true,
  }),
  'allow-exe-file': Flags.string({
    description: 'executable tasks may run, hashed now (repeatable; like --allow-exe)',
    multiple: true,
    multipleNonGreedy: true,
  }),
  'allow-env': Flags.string({
    description: 'loader/shell variable a task may set anyway, e.g. LD_LIBRARY_PATH (repeatable)',
    multiple: true,
    multipleNonGreedy: true,
  }),
  'max-timeout': Flags.string({ description: 'longest a task may run, e.g. 2h (also the default timeout)', default: '24h' }),
  'default-timeout': Flags.string({ description: 'timeout of a task that names none (default: --max-timeout)' }),
  'max-output': Flags.string({ description: 'stdout+stderr kept per task; the rest is cut, e.g. 100M', default: '1G' }),
  'max-task-disk': Flags.string({ description: 'stop a task whose working folder grows past this, e.g. 20G (default: no cap)' }),
  'allow-root': Flags.boolean({ description: 'run even as root (tasks would run as root too)', default: false }),
}
