// A command-line flag holding a duration ("500ms", "10s", "2m"; a bare number is seconds), as milliseconds.
import { Flags } from '@oclif/core'
import { UserError } from './errors.js'
import { parseDuration } from './tasks/index.js'

export const durationFlag = Flags.custom<number>({
  helpValue: 'DURATION',
  parse: async (input) => {
    try {
      return parseDuration(input)
    } catch (error) {
      throw new UserError(`bad duration "${input}": ${(error as Error).message}`, 'write e.g. 500ms, 10s or 2m')
    }
  },
})
