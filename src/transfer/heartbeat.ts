// Liveness of a connection, from WebSocket ping/pong control frames: a peer that answers no ping for
// `missesAllowed` intervals is treated as gone and the socket is terminated (which fires 'close').
// A machine that vanishes without closing TCP (power loss, cable) is noticed within a bounded delay.
// Backpressure is not silence: while this side has paused reading (its handlers are behind, e.g. a
// slow terminal), the peer's answers wait unread in the socket, so misses are not counted; and this
// side's own pings, which the peer still reads, keep it alive there.
import type { WebSocket } from 'ws'

/** Default interval between pings; overridable per daemon and per submitter. */
export const DEFAULT_HEARTBEAT_MS = 5_000
const MISSES_ALLOWED = 2

/** Starts pinging `ws` every `intervalMs`; returns a function that stops it (also stopped on close). */
export function keepAlive(ws: WebSocket, intervalMs: number = DEFAULT_HEARTBEAT_MS): () => void {
  let missed = 0
  const onPong = (): void => {
    missed = 0
  }
  ws.on('pong', onPong)
  // Any frame from the peer proves it is alive too: a peer busy sending file chunks may answer pings
  // late, and a peer that has paused reading cannot answer ours but still sends its own pings.
  ws.on('message', onPong)
  ws.on('ping', onPong)
  const timer = setInterval(() => {
    if (ws.isPaused) missed = 0
    if (missed >= MISSES_ALLOWED) {
      stop()
      ws.terminate()
      return
    }
    missed++
    try {
      ws.ping()
    } catch {
      // The socket is closing; 'close' ends this timer.
    }
  }, intervalMs)
  timer.unref()
  const stop = (): void => {
    clearInterval(timer)
    ws.off('pong', onPong)
    ws.off('message', onPong)
    ws.off('ping', onPong)
  }
  ws.once('close', stop)
  return stop
}
