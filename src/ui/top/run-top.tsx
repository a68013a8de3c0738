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
  try {
    await app.waitUntilExit()
  } finally {
    app.unmount()
    if (tty) process.stdout.write('\x1b[?1049l')
  }
}
