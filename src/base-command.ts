// Shared by every distw command: the one error handler. A user's mistake or an outside failure is a
// message with what to do and a distinct exit code; anything else is a bug and keeps its stack.
import { Command } from '@oclif/core'
import { ExternalError, UserError } from './errors.js'
import { flagError } from './flags/values.js'
import { ProtocolError } from './protocol/index.js'

export abstract class BaseCommand extends Command {
  protected override async catch(error: Error & { exitCode?: number }): Promise<unknown> {
    flagError(error)
    if (error instanceof UserError || error instanceof ExternalError) {
      process.stderr.write(`distw: ${error.message}\n${error.hint ? `  ${error.hint}\n` : ''}`)
      process.exitCode = error.exitCode
      return undefined
    }
    if (error instanceof ProtocolError) {
      process.stderr.write(`distw: protocol error ${error.code}: ${error.message}\n`)
      process.exitCode = 3
      return undefined
    }
    return super.catch(error)
  }
}
