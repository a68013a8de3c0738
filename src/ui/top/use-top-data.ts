// Fetches for `distw top`: one watch connection per node from the source (reconnecting to lost ones),
// states folded into a TopModel, and a view handed to React at most every intervalMs — never per message.
import { useEffect, useRef, useState } from 'react'
import { WatchClient } from '../../client/watch-client.js'
import { ownerTokenPath, readOwnerToken } from '../../pool/owner-token.js'
import { throughput, TopModel, type TaskRow, type TopView } from './model.js'
import type { NodeAddress, NodeSource } from './node-source.js'

export interface TopDataOptions {
  secret?: Buffer | undefined
  /** Plain WebSocket to --insecure nodes even with a secret. */
  insecure?: boolean | undefined
  client: string
  /** Shortest time between two renders (default 250 ms: at most 4 a second). */
  intervalMs?: number
  /** Wait before reconnecting to a lost node. */
  retryMs?: number
}

export interface TopData {
  view: TopView
  perSecond: number
  notice: string | undefined
  cancel(task: TaskRow): void
  /** The owner's answer to a held task's program (daemon --approve on this machine's node). */
  decide(task: TaskRow, allow: boolean): void
  /** Shows a line in the footer (what a key did). */
  say(notice: string): void
}

/** Window over which throughput is measured. */
const THROUGHPUT_WINDOW_MS = 10_000

export function useTopData(source: NodeSource, options: TopDataOptions): TopData {
  const model = useRef(new TopModel()).current
  const clients = useRef(new Map<string, WatchClient>()).current
  const [view, setView] = useState<TopView>(() => model.view(performance.now()))
  const [perSecond, setPerSecond] = useState(0)
  const [notice, setNotice] = useState<string | undefined>(undefined)

  useEffect(() => {
    let stopped = false
    const timers = new Set<NodeJS.Timeout>()
    const retry = (node: NodeAddress) => {
      // Closing the clients on quit reports them lost: a retry timer armed then kept the process
      // alive for retryMs (q took 2 s to exit).
      if (stopped) return
      const timer = setTimeout(() => {
        timers.delete(timer)
        if (!stopped && model.nodes.has(node.key)) connect(node)
      }, options.retryMs ?? 2000)
      timers.add(timer)
    }
    const connect = (node: NodeAddress) => {
      WatchClient.connect(node.url, { secret: options.secret, insecure: options.insecure, client: options.client }).then(
        (client) => {
          if (stopped || !model.nodes.has(node.key)) return client.close()
          clients.set(node.key, client)
          client.on('state', (state, at) => model.state(node.key, state, at))
          client.on('notice', setNotice)
          client.on('lost', (reason) => {
            clients.delete(node.key)
            model.lost(node.key, reason)
            retry(node)
          })
        },
        (error: Error) => {
          model.lost(node.key, error.message)
          retry(node)
        },
      )
    }
    const onAdd = (node: NodeAddress) => {
      model.added(node.key, node.address)
      connect(node)
    }
    const onRemove = (key: string) => {
      model.removed(key)
      clients.get(key)?.close()
      clients.delete(key)
    }
    source.on('add', onAdd)
    source.on('remove', onRemove)
    source.start()

    const samples: [number, number][] = []
    let shownVersion = -1
    let shownAt = 0
    const tick = setInterval(() => {
      const now = performance.now()
      // Re-render on a change, and once a second anyway for elapsed times.
      if (model.version === shownVersion && now - shownAt < 1000) return
      shownVersion = model.version
      shownAt = now
      const next = model.view(now)
      samples.push([now, next.totals.finished])
      while (samples.length > 2 && (samples[0]?.[0] ?? now) < now - THROUGHPUT_WINDOW_MS) samples.shift()
      setView(next)
      setPerSecond(throughput(samples))
    }, options.intervalMs ?? 250)

    return () => {
      stopped = true
      clearInterval(tick)
      for (const timer of timers) clearTimeout(timer)
      source.off('add', onAdd)
      source.off('remove', onRemove)
      source.stop()
      // Quitting must feel instant: no close handshake to wait for (a monitor leaves nothing unfinished).
      for (const client of clients.values()) client.close(true)
      clients.clear()
    }
  }, [source])

  const cancel = (task: TaskRow) => {
    if (task.waiting) return setNotice(`${task.name} waits in ${task.client}'s batch, on no node yet: stop that batch where it runs`)
    if (!task.mine) return setNotice(`${task.name} was submitted by ${task.client}: you can cancel only your own tasks`)
    const client = clients.get(task.nodeKey)
    if (!client) return setNotice(`${task.node} is not connected`)
    client.cancel(task.id)
    setNotice(`cancel sent for ${task.name}`)
  }
  const decide = (task: TaskRow, allow: boolean) => {
    const held = task.held
    if (!held) return setNotice(`${task.name} is not waiting for approval`)
    const client = clients.get(task.nodeKey)
    if (!client) return setNotice(`${task.node} is not connected`)
    const word = allow ? 'approved' : 'denied'
    void answerHeld(client, held.digest, allow).then(
      (tasks) => setNotice(`${word} ${held.program} on ${task.node}: ${tasks} held task(s) ${allow ? 'start' : 'fail'}`),
      (error: Error) => setNotice(error.message),
    )
  }
  return { view, perSecond, notice, cancel, decide, say: setNotice }
}

// The owner token is read when a key asks for it: a `top` watching other machines never needs it.
async function answerHeld(client: WatchClient, digest: string, allow: boolean): Promise<number> {
  const token = await readOwnerToken(ownerTokenPath())
  if (!token) throw new Error("no owner token here: answer on the node's machine, as the user who runs its daemon")
  return client.decide(digest, allow, token)
}
