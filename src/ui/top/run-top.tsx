// Mounts `distw top` and resolves when the user quits. On a terminal it draws on the alternate
// screen, so quitting gives back the screen as it was.
import { render } from 'ink'
import type { NodeSource } from './node-source.js'
import { TopApp } from './TopApp.js'
import type { TopDataOptions } from './use-top-data.js'

export async function runTop(source: NodeSource, options: TopDataOptions): Promise<void> {
  const tty = process.stdout.isTTY === true
  if (tty) process.stdout.write('\x1b[?1049h')
  const app = render(<TopApp source={source} options={options} />, { exitOnCtrlC: false })
  // Without a terminal on stdin there are no keys: a signal is the way out, and it must still give
  // the screen back.
  const quit = (): void => app.unmount()
  process.once('SIGINT', quit)
  process.once('SIGTERM', quit)
  try {
    await app.waitUntilExit()
  } finally {
    process.off('SIGINT', quit)
    process.off('SIGTERM', quit)
    app.unmount()
    if (tty) process.stdout.write('\x1b[?1049l')
  }
}
