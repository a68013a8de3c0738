// A TaskSpec as the parser makes one for a plain task (no inputs, no requirements, one slot), with the
// fields a test cares about given: spelled out here, not by the parser, so parser tests compare against it.
import type { TaskSpec } from '../../src/tasks/index.js'

export function taskSpec(fields: Partial<TaskSpec> & Pick<TaskSpec, 'line' | 'name' | 'command'>): TaskSpec {
  return { inputs: [], outputs: [], env: {}, requires: {}, retries: 0, after: [], priority: 0, slots: 1, ...fields }
}
