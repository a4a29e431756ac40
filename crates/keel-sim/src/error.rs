//! Errors of keel-sim: a world that cannot be built or a run that cannot go on.

use std::time::Duration;

use keel_vrrp::ConfigError;

/// Why the simulator refused a request or stopped.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SimError {
    /// keel-vrrp refused a router's configuration.
    #[error("router {router}: {source}")]
    Config {
        /// Router name.
        router: String,
        /// keel-vrrp's reason.
        source: ConfigError,
    },
    /// Two routers with one name.
    #[error("router name {0} is used twice")]
    DuplicateRouter(String),
    /// A router id that this world never handed out.
    #[error("no router with index {0}")]
    UnknownRouter(usize),
    /// A segment id that this world never handed out.
    #[error("no segment with index {0}")]
    UnknownSegment(usize),
    /// A router attaches to one segment through one interface only.
    #[error("router {router} is already attached to segment {segment}")]
    AlreadyAttached {
        /// Router name.
        router: String,
        /// Segment name.
        segment: String,
    },
    /// A router asked to be woken again and again at one instant without progress: a
    /// livelock in the engine (a timer that is never disarmed).
    #[error("livelock: more than 100000 steps at {at:?} without time moving")]
    Livelock {
        /// The stuck virtual time.
        at: Duration,
    },
    /// A per-step property check failed (only from [`crate::Sim::run_until`]'s wrapper).
    #[error("check failed: {0}")]
    Check(String),
}
