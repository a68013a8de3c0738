// NO_COLOR (no-color.org): set and not empty, distw adds no colour anywhere. The libraries under the
// spinner and the TUI decide colour from the terminal alone, so each colour asks here.

export function noColor(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.NO_COLOR !== undefined && env.NO_COLOR !== ''
}
