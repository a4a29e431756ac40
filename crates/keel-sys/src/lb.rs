//! The load-balancer backend interface: what the daemon calls with keel-lb's ops.
//!
//! keel-check decides the desired state, [`keel_lb::diff`] turns it into [`Op`]s, and a
//! backend carries them out: [`crate::ipvs::Ipvs`] where the kernel has IPVS,
//! [`crate::nft::NftBackend`] (NAT-mode DNAT through nftables) where it does not.
//! Backends apply only what they are given, so a reload never touches healthy entries
//! (issue 5, part 3).

use keel_lb::{Desired, Op, diff};

use crate::error::{Error, Result};
use crate::ipvs::Ipvs;
use crate::nft::NftBackend;

/// A data plane that holds virtual services and their real servers.
///
/// The daemon keeps what it applied and applies `diff(applied, desired)`, so services it
/// did not add (another tool's, or a previous keel's when `lvs_flush` is off) are left
/// alone, as keepalived leaves them; [`LbBackend::current`] is for reading the kernel's
/// view (drift checks, dumps), not the base of the diff.
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
}

/// Which data plane keel drives (the daemon's keel-specific backend option; issue 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BackendChoice {
    /// IPVS when the kernel has it, else nftables.
    #[default]
    Auto,
    /// IPVS only; fails where the kernel has none.
    Ipvs,
    /// nftables DNAT even where IPVS exists.
    Nftables,
}

impl BackendChoice {
    /// Parses `keel_lb_backend`'s argument: `auto`, `ipvs`, `nftables` (or `nft`).
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "auto" => Some(BackendChoice::Auto),
            "ipvs" => Some(BackendChoice::Ipvs),
            "nftables" | "nft" => Some(BackendChoice::Nftables),
            _ => None,
        }
    }
}

/// An opened backend of either kind.
#[derive(Debug)]
pub enum Backend {
    /// The kernel's IPVS.
    Ipvs(Ipvs),
    /// The `inet keel` nftables table.
    Nftables(NftBackend),
}

impl Backend {
    /// Opens the backend `choice` names. For `Auto`, a kernel whose IPVS family is missing
    /// gets one `modprobe ip_vs` (keepalived loads the module the same way) before keel
    /// falls back to nftables; any other IPVS error is returned, not papered over.
    pub fn open(choice: BackendChoice) -> Result<Backend> {
        match choice {
            BackendChoice::Ipvs => Ipvs::open().map(Backend::Ipvs),
            BackendChoice::Nftables => NftBackend::open().map(Backend::Nftables),
            BackendChoice::Auto => match Ipvs::open() {
                Ok(ipvs) => Ok(Backend::Ipvs(ipvs)),
                Err(error) if is_missing(&error) => {
                    let _ = std::process::Command::new("modprobe")
                        .args(["-q", "ip_vs"])
                        .stderr(std::process::Stdio::null())
                        .status();
                    match Ipvs::open() {
                        Ok(ipvs) => Ok(Backend::Ipvs(ipvs)),
                        Err(error) if is_missing(&error) => {
                            NftBackend::open().map(Backend::Nftables)
                        }
                        Err(error) => Err(error),
                    }
                }
                Err(error) => Err(error),
            },
        }
    }

    /// keel's shutdown. IPVS: with `lvs_flush_on_stop` the whole table is flushed, else
    /// only what keel applied (`applied`) is removed. nftables: the `keel` table goes
    /// (it holds nothing else).
    pub fn stop(self, applied: &Desired, flush_on_stop: bool) -> Result<()> {
        match self {
            Backend::Ipvs(ipvs) if flush_on_stop => ipvs.flush(),
            Backend::Ipvs(mut ipvs) => ipvs.remove(applied),
            Backend::Nftables(nft) => nft.stop(),
        }
    }

    /// `"ipvs"` or `"nftables"`, for logs and dumps.
    pub fn kind(&self) -> &'static str {
        match self {
            Backend::Ipvs(_) => "ipvs",
            Backend::Nftables(_) => "nftables",
        }
    }
}

fn is_missing(error: &Error) -> bool {
    error.netlink_errno() == Some(libc::ENOENT)
}

impl LbBackend for Backend {
    fn apply(&mut self, ops: &[Op]) -> Result<()> {
        match self {
            Backend::Ipvs(ipvs) => ipvs.apply(ops),
            Backend::Nftables(nft) => nft.apply(ops),
        }
    }

    fn current(&self) -> Result<Desired> {
        match self {
            Backend::Ipvs(ipvs) => ipvs.current(),
            Backend::Nftables(nft) => nft.current(),
        }
    }

    fn remove(&mut self, applied: &Desired) -> Result<()> {
        match self {
            Backend::Ipvs(ipvs) => ipvs.remove(applied),
            Backend::Nftables(nft) => nft.remove(applied),
        }
    }
}
