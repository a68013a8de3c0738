// Two observers as one: each event goes to the first, then to the second. The first's answer is kept
// (taskOutput's promise is how a slow terminal holds the output back).
import type { SubmitObserver } from '../submit/result.js'

type Handler = (...args: unknown[]) => unknown

export function tellBoth(first: SubmitObserver, second: SubmitObserver): SubmitObserver {
  const both: Record<string, unknown> = { ...first, ...second }
  for (const [key, a] of Object.entries(first)) {
    const b = (second as Record<string, unknown>)[key]
    if (typeof a !== 'function' || typeof b !== 'function') continue
    both[key] = (...args: unknown[]) => {
      const answer = (a as Handler)(...args)
      ;(b as Handler)(...args)
      return answer
    }
  }
  return both as SubmitObserver
}
