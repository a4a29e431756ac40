//! The tokio runtime every long-running keel process runs on.

use tokio::runtime::{Builder, Runtime};

use super::log;

/// A current-thread runtime with I/O and timers, for the VRRP daemon and the checker
/// process: each is one event loop, as keepalived's processes are. A multi-thread runtime
/// would add a thread per core, each with its stack and its own allocator heap, for work
/// that is mostly waiting (checker RSS, issue 5). Logs why it cannot start and returns
/// `None`; the caller exits 1.
pub fn event_loop() -> Option<Runtime> {
    match Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => Some(runtime),
        Err(error) => {
            log::error(&format!("cannot start the runtime: {error}"));
            None
        }
    }
}
