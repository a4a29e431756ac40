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

/// Call first thing in `main`, before anything allocates (every mode): commit arena memory
/// only as it is used (`MIMALLOC_ARENA_EAGER_COMMIT=0` unless the environment set it), and
/// no transparent huge pages. Done at daemon start instead, mimalloc's first arena chunk
/// (committed by the command-line parsing's first allocation) is already backed by a 2 MiB
/// page: 16.1 MB against 14.4 MB for 510 instances (bench/vrrp/memory.sh).
pub fn configure_allocator_early() {
    // Failure (old kernel) only costs memory.
    // SAFETY: prctl with PR_SET_THP_DISABLE reads no memory.
    unsafe { libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0) };
    // Reading the environment must not allocate yet: libc's getenv does not.
    // SAFETY: the name is a NUL-terminated literal; getenv only reads.
    let set = unsafe { !libc::getenv(c"MIMALLOC_ARENA_EAGER_COMMIT".as_ptr()).is_null() };
    if !set {
        // SAFETY: mi_option_set only stores an option value; `main` is single-threaded.
        unsafe { libmimalloc_sys::mi_option_set(ARENA_EAGER_COMMIT, 0) };
    }
}

/// Call first thing at daemon start: return freed pages to the kernel at once
/// (`MIMALLOC_PURGE_DELAY=0`, unless the environment set it). Not for `keel -t`, whose
/// parse frees and reallocates constantly.
pub fn configure_allocator() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: mi_option_set only stores an option value; the daemon is still
        // single-threaded here (mimalloc's option calls are not thread safe).
        unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY, 0) };
    }
}

/// Returns the memory freed since start-up (the parsed configuration's intermediates, the
/// mapping's copies) to the kernel now; call after start-up and after a reload.
pub fn release_freed_memory() {
    // SAFETY: mi_collect has no preconditions; it only walks mimalloc's own heaps.
    unsafe { libmimalloc_sys::mi_collect(true) };
}
