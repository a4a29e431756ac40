//! What leaves keel-check: probes to run, scripts, FIFO lines, mail, and "the load
//! balancer should change".

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use crate::probe::ProbeSpec;

/// Identifies one checker for as long as it exists, across reloads that keep it. Ids are
/// never reused, so a result for a checker a reload removed is recognised and dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CheckerId(pub u64);

impl std::fmt::Display for CheckerId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "checker#{}", self.0)
    }
}

/// Where a checker sits in the [`crate::CheckConfig`] it came from: indices into
/// `virtual_servers`, that server's `real_servers`, and that server's `checkers`. Lets the
/// daemon find its own probe description (e.g. a keel-probe request built from keel-conf)
/// for a [`CheckerId`]; refreshed on reload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CheckerPath {
    /// Index in `CheckConfig::virtual_servers`.
    pub virtual_server: usize,
    /// Index in that virtual server's `real_servers`.
    pub real_server: usize,
    /// Index in that real server's `checkers`.
    pub checker: usize,
}

/// One effect, in the order keepalived performs them (spec §3.8: script, FIFO, SMTP).
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Run this probe now and answer with exactly one [`crate::Input::ProbeResult`].
    RunProbe(ProbeRequest),
    /// Run a notify script (`notify_up`, `notify_down`, `quorum_up`, `quorum_down`) with its
    /// configured arguments only (spec §3.8).
    Notify {
        /// The configured command line.
        script: String,
        /// Why it runs.
        event: NotifyEvent,
    },
    /// Write this line plus `\n` to `notify_fifo` / `lvs_notify_fifo`, e.g.
    /// `RS [1.2.3.4]:tcp:80 [192.168.201.15]:tcp:80 DOWN` (spec §3.8).
    FifoLine(String),
    /// Send an SMTP alert (when `smtp_alert` is on for the server).
    Smtp(SmtpAlert),
    /// The wanted load-balancer state changed: call [`crate::Checks::desired`] and apply
    /// `keel_lb::diff(applied, desired)`. At most one per `handle`/`handle_timeout` call.
    LoadBalancerChanged,
}

/// A probe to run.
#[derive(Debug, Clone, PartialEq)]
pub struct ProbeRequest {
    /// The checker to report back for.
    pub checker: CheckerId,
    /// Where the checker is in the configuration.
    pub path: CheckerPath,
    /// Where to connect: `connect_ip`/`connect_port`, else the real server's address/port.
    pub destination: SocketAddr,
    /// The checker's configuration.
    pub probe: Arc<ProbeSpec>,
    /// `connect_timeout`, per I/O step (spec §3.13); for MISC_CHECK the script's limit,
    /// `misc_timeout` (default `delay_loop`).
    pub timeout: Duration,
}

/// What a notify script is run for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotifyEvent {
    /// A real server came up (`notify_up`).
    RealServerUp,
    /// A real server went down (`notify_down`).
    RealServerDown,
    /// A virtual server gained quorum (`quorum_up`).
    QuorumUp,
    /// A virtual server lost quorum (`quorum_down`).
    QuorumDown,
}

/// An SMTP alert. keepalived's subject starts with `[router_id] `; the daemon, which knows
/// `router_id`, prepends it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpAlert {
    /// Subject without the router id, e.g.
    /// `Realserver [1.2.3.4]:tcp:80 of virtual server [10.0.0.1]:tcp:80 - DOWN`.
    pub subject: String,
    /// Body, e.g. `=> TCP_CHECK failed on service: connection refused <=`.
    pub body: String,
}
