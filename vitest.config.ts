import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // End-to-end tests start daemons and child processes; two workers match the two cores CI has.
    maxWorkers: 2,
    // Discovery in tests probes and announces on loopback only: nothing may leave this machine.
    // Tests in network namespaces (test/helpers/netns.ts) set it empty: there, every interface is theirs.
    env: { DISTW_INTERFACES: 'lo' },
  },
})
