// How the node's V8 heap paces its full collections while a large upload streams in: bulk data must
// not make it collect the whole heap every few megabytes. `distw daemon` turns this on as it starts.
import v8 from 'node:v8'

/** Bytes an upload has received when it counts as bulk: below that, it churns too little to matter. */
export const BULK_BYTES = 8 * 1024 * 1024

let paced = false
let bulk = 0

/**
 * Every received frame is a fresh buffer outside the heap (ws joins the socket's reads into one per
 * message, and each socket read is one too), ~2 GiB of them per GiB uploaded, nearly all dead at once.
 * V8 counts such memory allocated since the last full collection against the old generation's room
 * (its limit minus its live size); young buffers are freed only by a young collection, which external
 * memory alone starts only past 32 MiB of them. When the room left was less than that, every 8-24 MiB
 * received started a full collection, which lowered the growing factor V8 picks (from the time spent
 * collecting), which kept the room small: measured here, 60-73 mark-compacts a GiB, the daemon's CPU
 * 5.1-5.3 s a GiB against 3.2-3.5 s without them, and which of the two a run got was chance (about
 * half the runs). While a large upload streams in, the growing factor is fixed at 4, the largest V8
 * picks by itself: a live heap of ~15 MiB then leaves ~45 MiB of room, and the young collections free
 * the buffers first (2 mark-compacts a GiB in every run, 3.2-3.6 s). Only then: held for good, it let
 * the daemon's old generation grow further between collections as tasks went by (peak RSS after
 * 10,000 tasks 134-139 MiB, against 121). Set at run time (a single executable or a service unit can
 * pass no Node flag, and NODE_OPTIONS refuses this one); V8 takes it up when it next sets its limits.
 */
export function paceFullCollections(): void {
  paced = true
}

/** A large upload is streaming in (see BULK_BYTES); pair with bulkEnded(). */
export function bulkStarted(): void {
  if (paced && bulk++ === 0) v8.setFlagsFromString('--heap-growing-percent=300')
}

/** A large upload stopped streaming in (stored, failed or dropped). */
export function bulkEnded(): void {
  if (!paced || bulk === 0) return
  // 0: V8 picks the factor itself again.
  if (--bulk === 0) v8.setFlagsFromString('--heap-growing-percent=0')
}
