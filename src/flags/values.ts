// Flags that hold a value people write as text — a duration, a size, an hours window, a positive
// number — parsed once, by the flag, wherever the text comes from: the command line, DISTW_* or the
// config file (src/config/load.ts feeds those through the same flags). A bad value is a UserError.
import { Flags } from '@oclif/core'
import { parseHours, type HoursWindow } from '../daemon/policy/policy.js'
import { UserError } from '../errors.js'
import { parseDuration, parseSize } from '../tasks/index.js'

// A parser's Error as a usage error; `hint` says what to write.
function parsed<T>(parse: () => T, hint: string): T {
  try {
    return parse()
  } catch (error) {
    throw new UserError((error as Error).message, hint)
  }
}

function duration(input: string): number {
  return parsed(() => parseDuration(input), 'write e.g. 500ms, 10s or 2m')
}

/** A duration ("500ms", "10s", "2m"; a bare number is seconds), as milliseconds. */
export const durationFlag = Flags.custom<number>({ helpValue: 'DURATION', parse: async (input) => duration(input) })

/** A duration more than 0 and at most `maxText` (a duration too). */
export function boundedDurationFlag(maxText: string) {
  const max = parseDuration(maxText)
  return Flags.custom<number>({
    helpValue: 'DURATION',
    parse: async (input) => {
      const ms = duration(input)
      if (ms <= 0 || ms > max) throw new UserError(`must be more than 0 and at most ${maxText}, not ${input}`)
      return ms
    },
  })
}

/** A size ("512M", "4G"; a bare number is bytes), as bytes. */
export const sizeFlag = Flags.custom<number>({
  helpValue: 'SIZE',
  parse: async (input) => parsed(() => parseSize(input), 'write e.g. 512M or 4G'),
})

/** A local-time window, START-END on the 24-hour clock ("19:00-07:00"). */
export const hoursFlag = Flags.custom<HoursWindow>({
  helpValue: 'HH:MM-HH:MM',
  parse: async (input) => parsed(() => parseHours(input), 'e.g. 19:00-07:00 (it may cross midnight)'),
})

/** A number above zero (a load average). */
export const positiveNumberFlag = Flags.custom<number>({
  helpValue: 'NUMBER',
  parse: async (input) => {
    const value = Number(input)
    if (input.trim() === '' || !Number.isFinite(value) || value <= 0) throw new UserError(`must be a positive number, not ${input}`)
    return value
  },
})

/** Cores a task may use: 0.01 at least (cgroup cpu.max has a floor of 1 ms a 100 ms period). */
export const coresFlag = Flags.custom<number>({
  helpValue: 'CORES',
  parse: async (input) => {
    const cores = Number(input)
    if (input.trim() === '' || !Number.isFinite(cores) || cores < 0.01 || cores > 65536)
      throw new UserError(`${input} is not a number of cores`, 'e.g. --task-cpus 1.5')
    return cores
  },
})

/** Text that must match `pattern`; otherwise `"TEXT" PROBLEM`, with `hint` saying what to write. */
export function checkedTextFlag(pattern: RegExp, problem: string, hint: string) {
  return Flags.custom<string>({
    parse: async (input) => {
      if (!pattern.test(input)) throw new UserError(`${JSON.stringify(input)} ${problem}`, hint)
      return input
    },
  })
}

const OCLIF_WRAPPED = /^Parsing --([\w-]+) \n\t([\s\S]*)\nSee more help with --help$/

/**
 * oclif wraps a flag's parse error as "Parsing --NAME \n\t… See more help with --help"; this makes it
 * `--NAME: …`, the way every other usage error names its flag. Other errors pass through.
 */
export function flagError<E extends Error>(error: E): E {
  const match = OCLIF_WRAPPED.exec(error.message)
  if (match) error.message = `--${match[1]}: ${match[2]}`
  return error
}
