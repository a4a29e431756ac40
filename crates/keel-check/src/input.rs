//! What comes into keel-check.

use std::net::IpAddr;

use crate::action::CheckerId;
use crate::config::CheckConfig;
use crate::probe::ProbeOutcome;

/// One input for [`crate::Checks::handle`].
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    /// The result of a [`crate::Action::RunProbe`], or a change a FILE/BFD checker observed.
    ProbeResult {
        /// The checker.
        checker: CheckerId,
        /// What the probe found.
        outcome: ProbeOutcome,
    },
    /// A new configuration (SIGHUP). What is unchanged keeps its state (spec §1.1, Reload).
    Reload(CheckConfig),
    /// A virtual address appeared on (or vanished from) this host; drives `ha_suspend`.
    /// The daemon reports every virtual address that is local at start, too.
    AddressLocal {
        /// The address.
        address: IpAddr,
        /// Whether it is now local.
        local: bool,
    },
    /// The daemon stops: run `omega` notifiers, then want an empty load balancer.
    Stop,
}
