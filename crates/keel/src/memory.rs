//! Memory the allocator holds but the daemon no longer uses.
//!
//! keel's allocator is mimalloc (main.rs). It keeps freed pages for reuse, so after a
//! one-time peak — parsing and planning a large configuration — a daemon would go on
//! holding much of that peak. A long-running mode calls [`release_freed`] once the peak is
//! past (start, reload).
//!
//! The options are set before anything allocates (`configure_allocator_early`, from an
//! `.init_array` constructor in main.rs) and at VRRP daemon start (`configure_allocator`);
//! measured with `bench/vrrp/memory.sh` and `bench/checker/vm.sh` (docs/benchmarks.md).
//!
//! Measured in the IPVS VM at 2,000 real servers (docs/benchmarks.md): RSS 17.7 MB →
//! 16.8 MB. Only the VRRP daemon sets mimalloc's purge delay to 0
//! ([`configure_allocator`]): for the checker it was measured once worse (19.0 MB), and
//! again with the early constructor in place 0.7 MB better (11.9 against 12.6 MB) but with
//! more user time per check in the same run; the checker's target that is not met is CPU.

/// Gives mimalloc's free pages back to the system. Costs a walk over the allocator's
/// pages (milliseconds): call it after a peak, not per event. Harmless when mimalloc is
/// not the global allocator (unit tests): it then holds nothing.
pub fn release_freed() {
    // SAFETY: mi_collect takes a plain flag and may be called at any time from any thread.
    unsafe { libmimalloc_sys::mi_collect(true) }
}

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
