//! Memory the allocator holds but the daemon no longer uses.
//!
//! keel's allocator is mimalloc (main.rs). It keeps freed pages for reuse, so after a
//! one-time peak — parsing and planning a large configuration — a daemon would go on
//! holding much of that peak. A long-running mode calls [`release_freed`] once the peak is
//! past (start, reload).
//!
//! Measured in the IPVS VM at 2,000 real servers (docs/benchmarks.md): RSS 17.7 MB →
//! 16.8 MB. Also setting mimalloc's purge delay to 0 from then on was tried and made it
//! worse (19.0 MB), so the delay stays at mimalloc's default.

/// Gives mimalloc's free pages back to the system. Costs a walk over the allocator's
/// pages (milliseconds): call it after a peak, not per event. Harmless when mimalloc is
/// not the global allocator (unit tests): it then holds nothing.
pub fn release_freed() {
    // SAFETY: mi_collect takes a plain flag and may be called at any time from any thread.
    unsafe { libmimalloc_sys::mi_collect(true) }
}
