// How the node's V8 heap paces its full collections, set once as `distw daemon` starts (before any
// connection): bulk uploads must not make it collect the whole heap every few megabytes.
import v8 from 'node:v8'

/**
 * Every received frame is a fresh buffer outside the heap (ws joins the socket's reads into one per
 * message, and each socket read is one too), ~2 GiB of them per GiB uploaded, nearly all dead at once.
 * V8 counts such memory allocated since the last full collection against the old generation's room
 * (its limit minus its live size); young buffers are freed only by a young collection, which external
 * memory alone starts only past 32 MiB of them. When the room left was less than that, every 8-24 MiB
 * received started a full collection, which lowered the growing factor V8 picks (from the time spent
 * collecting), which kept the room small: measured here, 60-73 mark-compacts a GiB, the daemon's CPU
 * 5.1-5.3 s a GiB against 3.2-3.5 s without them, and which of the two a run got was chance (about
 * half the runs). A fixed growing factor of 4, the largest V8 picks by itself, leaves a live heap of
 * ~15 MiB ~45 MiB of room: the young collections free the buffers first (2 mark-compacts a GiB in
 * every run, 3.2-3.6 s). Set at run time, as a single executable or a service unit can pass no Node
 * flag (and NODE_OPTIONS refuses this one); V8 reads it each time it sets its limits.
 */
export function paceFullCollections(): void {
  v8.setFlagsFromString('--heap-growing-percent=300')
}
