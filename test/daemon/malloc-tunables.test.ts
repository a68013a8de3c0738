// The glibc malloc tunables distw runs with (src/daemon/service/malloc-tunables.ts): values glibc really reads,
// carried by the systemd unit (see service.test.ts).
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { MALLOC_TUNABLES } from '../../src/daemon/service/malloc-tunables.js'

// glibc's dynamic loader on x86-64 and arm64 Linux: it lists the tunables it read.
const GLIBC_LOADER = ['/lib64/ld-linux-x86-64.so.2', '/lib/ld-linux-aarch64.so.1'].find((f) => existsSync(f))

describe('glibc malloc tunables', () => {
  // glibc ignores a tunable it cannot read, silently: its own loader says what it took.
  it.skipIf(GLIBC_LOADER === undefined)('are ones glibc reads, with the values meant', () => {
    const listed = execFileSync(GLIBC_LOADER as string, ['--list-tunables'], { env: { GLIBC_TUNABLES: MALLOC_TUNABLES }, encoding: 'utf8' })
    expect(listed).toMatch(/^glibc\.malloc\.mmap_threshold: 0x400000 /m)
    expect(listed).toMatch(/^glibc\.malloc\.trim_threshold: 0x2000000 /m)
  })
})
