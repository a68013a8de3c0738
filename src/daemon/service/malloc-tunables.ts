// glibc malloc settings for the daemon's process, set by the service that starts it (systemd unit).
//
// Why: ws gives every received message (a 1 MiB chunk of an upload) a buffer of its own, and glibc's
// defaults serve each from fresh pages; up to 4 MiB from the heap and 32 MiB of free heap kept make
// uploads markedly faster at the same memory (measured: BENCHMARKS.md, "glibc malloc tunables").
//
// glibc reads them once, when the process starts, so they cannot be set from inside it: a daemon
// started by hand gets them only from its caller's environment (`GLIBC_TUNABLES=… distw daemon`).
// Other C libraries (musl, macOS, Windows) ignore the variable.
export const MALLOC_TUNABLES = 'glibc.malloc.mmap_threshold=4194304:glibc.malloc.trim_threshold=33554432'
