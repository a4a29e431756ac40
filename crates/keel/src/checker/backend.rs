//! The data plane the checker programs: IPVS over generic netlink where the kernel has it,
//! nftables elsewhere (issue 5, part 3), picked by `keel_lb_backend`.

use anyhow::{Context, Result, bail};
use keel_lb::{Desired, Op, diff};
use keel_sys::ipvs::Ipvs;
use keel_sys::lb::LbBackend;

use super::nft::Nftables;
use crate::check_config::BackendChoice;

/// One opened data plane.
#[derive(Debug)]
pub enum Backend {
    /// The kernel's IPVS table.
    Ipvs(Ipvs),
    /// keel's nftables DNAT tables.
    Nftables(Nftables),
}

impl Backend {
    /// Opens the backend `choice` names. `Auto` probes the generic-netlink family "IPVS"
    /// (spec §3.12) and falls back to nftables when the kernel does not have it.
    pub fn open(choice: BackendChoice) -> Result<Backend> {
        match choice {
            BackendChoice::Ipvs => Ok(Backend::Ipvs(
                Ipvs::open().context("keel_lb_backend ipvs: the kernel has no IPVS")?,
            )),
            BackendChoice::Nftables => Ok(Backend::Nftables(Nftables::open()?)),
            BackendChoice::Auto => match Ipvs::open() {
                Ok(ipvs) => Ok(Backend::Ipvs(ipvs)),
                Err(_) => Ok(Backend::Nftables(Nftables::open().context(
                    "the kernel has no IPVS and nftables is not usable either",
                )?)),
            },
        }
    }

    /// `ipvs` or `nftables`, for the log.
    pub fn name(&self) -> &'static str {
        match self {
            Backend::Ipvs(_) => "ipvs",
            Backend::Nftables(_) => "nftables",
        }
    }

    /// What the data plane holds of the services in `wanted`: keel adopts an existing
    /// service instead of failing to add it (keepalived edits such a service in place).
    pub fn adopt(&self, wanted: &Desired) -> Result<Desired> {
        let current = match self {
            Backend::Ipvs(ipvs) => ipvs.current()?,
            Backend::Nftables(nft) => nft.current().clone(),
        };
        let mut adopted = Desired::default();
        for (key, service) in current.services {
            if wanted.services.contains_key(&key) {
                adopted.services.insert(key, service);
            }
        }
        Ok(adopted)
    }

    /// Applies `ops` in order.
    pub fn apply(&mut self, ops: &[Op]) -> Result<()> {
        match self {
            Backend::Ipvs(ipvs) => Ok(ipvs.apply(ops)?),
            Backend::Nftables(nft) => nft.apply(ops),
        }
    }

    /// What the data plane holds now.
    pub fn current(&self) -> Result<Desired> {
        match self {
            Backend::Ipvs(ipvs) => Ok(ipvs.current()?),
            Backend::Nftables(nft) => Ok(nft.current().clone()),
        }
    }

    /// Empties the whole table (`lvs_flush`, `lvs_flush_on_stop`).
    pub fn flush(&mut self) -> Result<()> {
        match self {
            Backend::Ipvs(ipvs) => Ok(ipvs.flush()?),
            Backend::Nftables(nft) => nft.flush(),
        }
    }

    /// Deletes whole services (`lvs_flush_on_stop VS`): the services `configured` names,
    /// with every destination they hold, keel's or not.
    pub fn remove_services(&mut self, configured: &Desired) -> Result<()> {
        let current = self.current()?;
        let mut doomed = Desired::default();
        for (key, service) in current.services {
            if configured.services.contains_key(&key) {
                doomed.services.insert(key, service);
            }
        }
        self.apply(&diff(&doomed, &Desired::default()))
    }
}

/// Brings `backend` from `applied` to `desired`; on failure re-reads what the data plane
/// holds so the next change diffs against the truth. Returns the state now applied.
pub fn converge(
    backend: &mut Backend,
    applied: &Desired,
    desired: &Desired,
) -> (Desired, Result<()>) {
    let ops = diff(applied, desired);
    if ops.is_empty() {
        return (applied.clone(), Ok(()));
    }
    match backend.apply(&ops) {
        Ok(()) => (desired.clone(), Ok(())),
        Err(error) => {
            let truth = backend.current().unwrap_or_else(|_| applied.clone());
            (truth, Err(error))
        }
    }
}

/// Refuses a configuration the chosen backend cannot carry, before anything is installed.
pub fn check_supported(backend: &Backend, desired: &Desired) -> Result<()> {
    if let Backend::Nftables(_) = backend {
        for family in [keel_lb::Family::Inet, keel_lb::Family::Inet6] {
            if let Err(error) = super::nft::render(desired, family) {
                bail!("nftables backend: {error}");
            }
        }
    }
    Ok(())
}
