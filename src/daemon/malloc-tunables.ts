// glibc malloc settings for the daemon's process, set by the service that starts it (systemd unit).
//
// Why: ws gives every received message (a 1 MiB chunk of an upload) a buffer of its own. Left to its
// defaults, glibc serves each from a fresh mmap, or from a heap top it gave back to the kernel as soon
// as 128 KiB of it was free; either way every 4 KiB page of every chunk is faulted in anew. Profiled
// over a 512 MiB upload, joining the socket's reads into those buffers took 0.87 s of the daemon's
// thread and garbage collection 0.68 s. With buffers up to 4 MiB taken from the heap, and up to 32 MiB
// of free heap kept, a 512 MiB upload took 2.69-2.81 s instead of 4.26-5.05 s (3 alternating rounds
// here), at the same peak RSS (133-141 MiB against 124-136 MiB).
//
// glibc reads them once, when the process starts, so they cannot be set from inside it: a daemon
// started by hand gets them only from its caller's environment (`GLIBC_TUNABLES=… distw daemon`).
// Other C libraries (musl, macOS, Windows) ignore the variable.
export const MALLOC_TUNABLES = 'glibc.malloc.mmap_threshold=4194304:glibc.malloc.trim_threshold=33554432'
