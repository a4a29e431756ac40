//! How the daemon asks mimalloc to keep its resident memory at its live size (issue 4: RSS
//! no more than keepalived's). By default mimalloc commits arena memory eagerly (which, with
//! transparent huge pages, makes the kernel back it with 2 MiB pages) and keeps freed pages
//! for a while for reuse; a daemon that allocates its state once and then runs for months
//! wants neither. Measured with `bench/vrrp/memory.sh` (docs/benchmarks.md, "VRRP scale").
//! Both calls are no-ops for memory when mimalloc is not the global allocator (tests).

/// `mi_option_arena_eager_commit` and `mi_option_purge_delay`: positions 4 and 15 of
/// `mi_option_e` in mimalloc.h (v2 and v3 alike); libmimalloc-sys does not name them.
const ARENA_EAGER_COMMIT: libmimalloc_sys::mi_option_t = 4;
const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Call first thing at daemon start: commit arena memory only as it is used, and return
/// freed pages to the kernel at once (`MIMALLOC_ARENA_EAGER_COMMIT=0`,
/// `MIMALLOC_PURGE_DELAY=0`, unless the environment set them).
pub fn configure_allocator() {
    // mimalloc committed its first arena chunk before `main`, eagerly; without huge pages
    // the kernel backs only the 4 KiB pages actually touched. Failure (old kernel) only
    // costs memory.
    // SAFETY: prctl with PR_SET_THP_DISABLE reads no memory.
    unsafe { libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0) };
    for (option, variable) in [
        (ARENA_EAGER_COMMIT, "MIMALLOC_ARENA_EAGER_COMMIT"),
        (PURGE_DELAY, "MIMALLOC_PURGE_DELAY"),
    ] {
        if std::env::var_os(variable).is_none() {
            // SAFETY: mi_option_set only stores an option value; the daemon is still
            // single-threaded here (mimalloc's option calls are not thread safe).
            unsafe { libmimalloc_sys::mi_option_set(option, 0) };
        }
    }
}

/// Returns the memory freed since start-up (the parsed configuration's intermediates, the
/// mapping's copies) to the kernel now; call after start-up and after a reload.
pub fn release_freed_memory() {
    // SAFETY: mi_collect has no preconditions; it only walks mimalloc's own heaps.
    unsafe { libmimalloc_sys::mi_collect(true) };
}
