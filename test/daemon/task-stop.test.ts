// TaskStop behaves as an AbortController's signal does for the task's code: each listener once, in
// order, a removed or late one not at all, the reason kept.
import { describe, expect, it } from 'vitest'
import { TaskStop } from '../../src/daemon/run/task-stop.js'

describe('TaskStop', () => {
  it('calls each listener once, in the order added, and keeps the reason', () => {
    const stop = new TaskStop()
    const calls: string[] = []
    const removed = (): void => void calls.push('removed')
    stop.addEventListener('abort', () => calls.push('one'), { once: true })
    stop.addEventListener('abort', removed)
    stop.addEventListener('abort', () => calls.push('two'))
    stop.removeEventListener('abort', removed)
    expect(stop.aborted).toBe(false)
    stop.abort('why')
    stop.abort('again')
    expect(calls).toEqual(['one', 'two'])
    expect(stop.aborted).toBe(true)
    expect(stop.reason).toBe('why')
  })

  it('does not call a listener added after the abort, nor one removed before it', () => {
    const stop = new TaskStop()
    let called = 0
    const listener = (): void => void called++
    stop.addEventListener('abort', listener)
    stop.removeEventListener('abort', listener)
    stop.abort()
    stop.addEventListener('abort', listener)
    expect(called).toBe(0)
    expect(stop.reason).toBeUndefined()
  })

  it('runs the other listeners when one throws, and reports the error as uncaught', async () => {
    const stop = new TaskStop()
    const uncaught = new Promise<unknown>((resolve) => process.once('uncaughtException', resolve))
    let after = false
    stop.addEventListener('abort', () => {
      throw new Error('listener failed')
    })
    stop.addEventListener('abort', () => (after = true))
    stop.abort()
    expect(after).toBe(true)
    expect(((await uncaught) as Error).message).toBe('listener failed')
  })
})
