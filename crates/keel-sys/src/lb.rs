//! The load-balancer backend interface: what the daemon calls with keel-lb's ops.
//!
//! keel-check decides the desired state, [`keel_lb::diff`] turns it into [`Op`]s, and a
//! backend carries them out: [`crate::ipvs::Ipvs`] where the kernel has IPVS,
//! [`crate::nft::NftBackend`] (NAT-mode DNAT through nftables) where it does not.
//! Backends apply only what they are given, so a reload never touches healthy entries
//! (issue 5, part 3).

use keel_lb::{Desired, Op, diff};

use crate::error::Result;

/// A data plane that holds virtual services and their real servers.
pub trait LbBackend {
    /// Applies `ops` in order. Stops at the first op the data plane refuses; the ops
    /// before it stay applied, so the caller re-reads [`LbBackend::current`] and diffs
    /// again.
    fn apply(&mut self, ops: &[Op]) -> Result<()>;

    /// The state the data plane holds now (for IPVS: every service in the kernel table,
    /// including ones keel did not add).
    fn current(&self) -> Result<Desired>;

    /// Removes what keel added (`applied`) and nothing else: keepalived's shutdown
    /// without `lvs_flush_on_stop`.
    fn remove(&mut self, applied: &Desired) -> Result<()> {
        self.apply(&diff(applied, &Desired::default()))
    }

    /// Brings the data plane to `desired`, touching only what differs from what it holds.
    fn reconcile(&mut self, desired: &Desired) -> Result<()> {
        let current = self.current()?;
        self.apply(&diff(&current, desired))
    }
}
