// Why a daemon could not listen, said so that the user knows what to do (the raw error was
// "listen EADDRINUSE: address already in use 127.0.0.1:7420" with exit code 1).
import { UserError } from '../../errors.js'

export function listenError(error: NodeJS.ErrnoException, host: string, port: number): Error {
  const where = `${host}:${port}`
  switch (error.code) {
    case 'EADDRINUSE':
      return new UserError(`${where} is already in use`, 'another distw daemon (or another program) listens there: stop it, or give --port')
    case 'EACCES':
      return new UserError(
        `not allowed to listen on ${where}`,
        'ports below 1024 need privileges: give --port 1024 or above (default 7420)',
      )
    case 'EADDRNOTAVAIL':
      return new UserError(`${host} is not an address of this machine`, 'give --bind one of its addresses, or 0.0.0.0 for all of them')
    default:
      return error
  }
}
