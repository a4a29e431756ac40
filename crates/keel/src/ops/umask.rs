//! The process umask (spec §1.4 `-u, --umask`; `global_defs umask`).
//!
//! keepalived 2.2.7 runs with umask 0177 unless told otherwise (its SIGUSR1 dump shows
//! `umask = 0177` for a configuration without one), so the files it creates — dumps, logs,
//! FIFOs it makes — are private. `-u` beats the configuration keyword.

/// keepalived's umask when neither `-u` nor `umask` is given.
pub const DEFAULT_UMASK: u32 = 0o177;

/// The umask to run with: `-u` first, then the configuration's `umask`, then 0177. Values
/// keep only the permission bits.
pub fn effective_umask(command_line: Option<u32>, config: Option<u32>) -> u32 {
    command_line.or(config).unwrap_or(DEFAULT_UMASK) & 0o777
}

/// Sets the process umask and returns the previous one. Call at start-up, before any file
/// is created, and again after a reload that changed `umask` (unless `-u` was given).
pub fn apply(mask: u32) -> u32 {
    // SAFETY: umask has no preconditions and cannot fail.
    unsafe { libc::umask((mask & 0o777) as libc::mode_t) }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Input: -u 022 with `umask 077` in the config; config only; neither.
    // Output: the command line wins; then the config; then keepalived's 0177.
    #[test]
    fn precedence() {
        assert_eq!(effective_umask(Some(0o022), Some(0o077)), 0o022);
        assert_eq!(effective_umask(None, Some(0o077)), 0o077);
        assert_eq!(effective_umask(None, None), 0o177);
        assert_eq!(effective_umask(Some(0o7022), None), 0o022);
    }
}
