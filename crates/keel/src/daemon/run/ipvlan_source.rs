//! The source address of an IPv6 `use_ipvlan` without an address (spec §3.10): adverts
//! leave from the ipvlan's own link-local address (keepalived.conf(5)), which the kernel
//! gives the ipvlan only once it is up — and never with `addr_gen_mode` none, `disable_ipv6`
//! or a failed DAD, until someone adds one.
//!
//! keepalived 2.2.7, seen in the test VM (`tests/ipvlan_link_local_vm.rs`, an ipvlan made
//! where `default.addr_gen_mode` is 1): "(VI_6) entering FAULT state (no IPv6 address for
//! interface)" at once, FAULT for as long as the ipvlan has no link-local, then, when one is
//! added ("Assigned address fe80::61:1 for interface vrrp.61"), BACKUP and adverts from it.
//! It never gives up waiting. keel does the same, without waiting inside the event loop:
//!
//! * at start, at each reload and when an ipvlan is made again, [`Daemon::ipvlan_sources`]
//!   reads the addresses once: an ipvlan with a link-local gives its instance that source
//!   at once; an instance whose ipvlan has none is held in FAULT by its
//!   [`vrrp_config::ipvlan_link_local_id`] tracker and put in [`LinkLocalWait`];
//! * the netlink event of a link-local added to that ipvlan
//!   ([`Daemon::ipvlan_link_local_added`]) gives the instance its source (only the waiting
//!   instances' configurations change) and lifts the FAULT;
//! * [`LINK_LOCAL_WAIT`] after it began waiting, a deadline the event loop serves
//!   ([`Daemon::link_local_overdue`]) reads the addresses once more (the event may have
//!   come before the monitor listened, at start, or been lost) and otherwise says once that
//!   the instance stays in FAULT until a link-local is added: the kernel adds the one it
//!   generates as the ipvlan goes up (with carrier), so by then it is not coming by itself.
//!   The wait has no other end, as in keepalived.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use keel_vrrp::{RouterConfig, RouterInput, TrackerStatus};

use super::{Daemon, is_link_local};
use crate::daemon::{log, vmac};
use crate::vrrp_config;

/// How long after an ipvlan instance began waiting for its link-local the daemon says that
/// the address is not coming by itself. The old in-loop wait's bound.
pub(super) const LINK_LOCAL_WAIT: Duration = Duration::from_secs(1);

/// The instances held in FAULT until their ipvlan has a link-local address. Time comes in
/// as `now`; the daemon's event loop sleeps to [`LinkLocalWait::next_deadline`].
#[derive(Debug, Default)]
pub(super) struct LinkLocalWait {
    waiting: BTreeMap<String, Waiting>,
}

#[derive(Debug, Clone, PartialEq)]
struct Waiting {
    /// The ipvlan the link-local is awaited on.
    device: String,
    ifindex: u32,
    /// When to say it is overdue; `None` once said.
    deadline: Option<Instant>,
}

impl LinkLocalWait {
    /// `instance` waits for a link-local on `device` (index `ifindex`). One already waiting
    /// keeps its deadline (a reload does not restart it), unless its ipvlan was made again.
    pub(super) fn wait(&mut self, instance: &str, device: &str, ifindex: u32, now: Instant) {
        let fresh = Waiting {
            device: device.to_string(),
            ifindex,
            deadline: Some(now + LINK_LOCAL_WAIT),
        };
        let entry = self
            .waiting
            .entry(instance.to_string())
            .or_insert(fresh.clone());
        if entry.ifindex != ifindex || entry.device != device {
            *entry = fresh;
        }
    }

    /// Whether `instance` is waiting.
    pub(super) fn is_waiting(&self, instance: &str) -> bool {
        self.waiting.contains_key(instance)
    }

    /// Forgets `instance` (its link-local is there, or it no longer waits for one).
    pub(super) fn forget(&mut self, instance: &str) -> bool {
        self.waiting.remove(instance).is_some()
    }

    /// Keeps only the instances `keep` says still wait.
    pub(super) fn retain(&mut self, keep: impl Fn(&str) -> bool) {
        self.waiting.retain(|instance, _| keep(instance));
    }

    /// A link-local appeared on interface `ifindex`: the instances that waited for it,
    /// with their ipvlan, no longer wait.
    pub(super) fn appeared(&mut self, ifindex: u32) -> Vec<(String, String)> {
        let found: Vec<(String, String)> = self
            .waiting
            .iter()
            .filter(|(_, waiting)| waiting.ifindex == ifindex)
            .map(|(instance, waiting)| (instance.clone(), waiting.device.clone()))
            .collect();
        for (instance, _) in &found {
            self.waiting.remove(instance);
        }
        found
    }

    /// The earliest deadline not yet served.
    pub(super) fn next_deadline(&self) -> Option<Instant> {
        self.waiting.values().filter_map(|w| w.deadline).min()
    }

    /// The instances (with their ipvlan) whose deadline passed by `now`; each is returned
    /// once, and keeps waiting.
    pub(super) fn overdue(&mut self, now: Instant) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for (instance, waiting) in &mut self.waiting {
            if waiting.deadline.is_some_and(|deadline| deadline <= now) {
                waiting.deadline = None;
                out.push((instance.clone(), waiting.device.clone()));
            }
        }
        out
    }
}

impl Daemon {
    /// Called at start, after each reload and after an ipvlan is made again, once the
    /// ipvlans exist: each instance whose source is its ipvlan's link-local gets it when
    /// the ipvlan has one, and is held in FAULT until it has one otherwise (see the module
    /// documentation). Reads the addresses once; never waits.
    pub(super) async fn ipvlan_sources(&mut self) {
        let awaiting = self.awaiting_link_local();
        self.link_locals
            .retain(|instance| awaiting.iter().any(|(name, ..)| name == instance));
        if awaiting.is_empty() {
            return;
        }
        let addresses = self.netlink.addresses(None).await.unwrap_or_default();
        let now = Instant::now();
        let mut found = Vec::new();
        let mut missing = Vec::new();
        for (instance, device, ifindex) in awaiting {
            let link_local = addresses
                .iter()
                .find(|a| a.ifindex == ifindex && is_link_local(a.address))
                .map(|a| a.address);
            match link_local {
                Some(address) => found.push((instance, device, address)),
                None => {
                    if !self.link_locals.is_waiting(&instance) {
                        missing.push((instance.clone(), device.clone()));
                    }
                    self.link_locals.wait(&instance, &device, ifindex, now);
                }
            }
        }
        for (instance, device) in missing {
            // keepalived 2.2.7's words, seen in the test VM.
            log::info(&format!(
                "({instance}) entering FAULT state (no IPv6 address for interface)"
            ));
            log::detail(&format!(
                "({instance}) waiting for a link-local on {device}"
            ));
            self.report_link_local(&instance, false).await;
        }
        self.use_link_locals(found).await;
    }

    /// An address was added to interface `ifindex`: a link-local on the ipvlan of a waiting
    /// instance becomes its source, and the instance leaves FAULT.
    pub(super) async fn ipvlan_link_local_added(&mut self, ifindex: u32, address: IpAddr) {
        if !is_link_local(address) {
            return;
        }
        let found: Vec<(String, String, IpAddr)> = self
            .link_locals
            .appeared(ifindex)
            .into_iter()
            .map(|(instance, device)| (instance, device, address))
            .collect();
        self.use_link_locals(found).await;
    }

    /// A [`LinkLocalWait`] deadline passed: the addresses are read once more (an event
    /// lost, or sent before the monitor listened at start, would otherwise leave the
    /// instance in FAULT for good); an instance still without a link-local is said once to
    /// stay in FAULT until one is added.
    pub(super) async fn link_local_overdue(&mut self) {
        let overdue = self.link_locals.overdue(Instant::now());
        if overdue.is_empty() {
            return;
        }
        self.ipvlan_sources().await;
        for (instance, device) in overdue {
            if !self.link_locals.is_waiting(&instance) {
                continue;
            }
            log::warn(&format!(
                "({instance}) ipvlan {device} still has no IPv6 link-local address after {} s \
                 (addr_gen_mode none, disable_ipv6 or a failed DAD?): in FAULT until one is added",
                LINK_LOCAL_WAIT.as_secs_f64()
            ));
        }
    }

    /// The instances whose source is their ipvlan's link-local: an IPv6 instance with
    /// `use_ipvlan` without an address and no configured source, whose ipvlan exists, with
    /// that ipvlan and its index.
    fn awaiting_link_local(&self) -> Vec<(String, String, u32)> {
        self.router
            .instances()
            .iter()
            .filter_map(|instance| {
                let name = instance.name();
                let (device, plan) = self.vmacs.ipvlan(name)?;
                let vmac::LinkKind::Ipvlan { address: None, .. } = plan.kind else {
                    return None;
                };
                if plan.family != keel_vrrp::Family::Ipv6 {
                    return None;
                }
                let configured = self
                    .source
                    .vrrp
                    .instances
                    .iter()
                    .find(|i| i.name == name)
                    .and_then(|i| i.configured_source());
                if configured.is_some() {
                    return None;
                }
                let &(ifindex, _) = self.links.get(device)?;
                Some((name.to_string(), device.to_string(), ifindex))
            })
            .collect()
    }

    /// Gives each instance of `found` its ipvlan's link-local as source: only those
    /// instances' configurations change (handed to the engine as a reload of the running
    /// configuration, same instances), their ipvlan's socket is opened again with it, and
    /// an instance held in FAULT for it leaves FAULT.
    async fn use_link_locals(&mut self, found: Vec<(String, String, IpAddr)>) {
        if found.is_empty() {
            return;
        }
        let mut config = RouterConfig {
            instances: self
                .router
                .instances()
                .iter()
                .map(|instance| instance.config().clone())
                .collect(),
            sync_groups: self
                .router
                .groups()
                .iter()
                .map(|group| group.config().clone())
                .collect(),
        };
        let mut changed = Vec::new();
        for instance in &mut config.instances {
            let Some((_, device, address)) = found.iter().find(|(n, ..)| *n == instance.name)
            else {
                continue;
            };
            if instance.primary_address != *address {
                instance.primary_address = *address;
                changed.push(device.clone());
            }
        }
        if !changed.is_empty() {
            self.stop_absorbing();
            match self.router.reload(Instant::now(), config) {
                Ok(()) => {
                    for device in &changed {
                        log::info(&format!(
                            "ipvlan {device}: adverts leave from its link-local address"
                        ));
                        // The socket puts its source in each advert (IPV6_PKTINFO).
                        self.wire.close_interface(device);
                    }
                    self.open_endpoints();
                }
                Err(error) => log::error(&format!("ipvlan source addresses: {error}")),
            }
        }
        for (instance, device, address) in found {
            self.link_locals.forget(&instance);
            log::detail(&format!(
                "Assigned address {address} for interface {device}"
            ));
            self.report_link_local(&instance, true).await;
        }
    }

    async fn report_link_local(&mut self, instance: &str, present: bool) {
        self.input(RouterInput::Tracker {
            id: vrrp_config::ipvlan_link_local_id(instance),
            status: TrackerStatus::up_or_down(present),
        })
        .await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Input: VI_6 waits for a link-local on vrrp.61 (index 7) at t0.
    // Output: its deadline is t0 + 1 s; served once; a reload does not restart it.
    #[test]
    fn deadline_is_served_once_and_survives_a_reload() {
        let t0 = Instant::now();
        let mut wait = LinkLocalWait::default();
        wait.wait("VI_6", "vrrp.61", 7, t0);
        assert_eq!(wait.next_deadline(), Some(t0 + LINK_LOCAL_WAIT));
        assert!(wait.overdue(t0 + Duration::from_millis(999)).is_empty());
        wait.wait("VI_6", "vrrp.61", 7, t0 + Duration::from_millis(500));
        assert_eq!(wait.next_deadline(), Some(t0 + LINK_LOCAL_WAIT));
        assert_eq!(
            wait.overdue(t0 + LINK_LOCAL_WAIT),
            [("VI_6".to_string(), "vrrp.61".to_string())]
        );
        assert_eq!(wait.next_deadline(), None);
        assert!(wait.overdue(t0 + 2 * LINK_LOCAL_WAIT).is_empty());
        assert!(wait.is_waiting("VI_6"), "overdue, it still waits");
    }

    // Input: VI_6 waits on index 7; its ipvlan is made again as index 9.
    // Output: a fresh deadline; a link-local on the old index frees nothing, on the new
    // one it frees VI_6 alone.
    #[test]
    fn a_remade_ipvlan_restarts_the_wait() {
        let t0 = Instant::now();
        let later = t0 + Duration::from_secs(5);
        let mut wait = LinkLocalWait::default();
        wait.wait("VI_6", "vrrp.61", 7, t0);
        wait.wait("VI_7", "vrrp.62", 8, t0);
        wait.wait("VI_6", "vrrp.61", 9, later);
        assert_eq!(wait.next_deadline(), Some(t0 + LINK_LOCAL_WAIT));
        assert_eq!(wait.overdue(t0 + LINK_LOCAL_WAIT).len(), 1);
        assert_eq!(wait.next_deadline(), Some(later + LINK_LOCAL_WAIT));
        assert!(wait.appeared(7).is_empty());
        assert_eq!(
            wait.appeared(9),
            [("VI_6".to_string(), "vrrp.61".to_string())]
        );
        assert!(!wait.is_waiting("VI_6"));
        assert!(wait.is_waiting("VI_7"));
        wait.retain(|instance| instance != "VI_7");
        assert_eq!(wait.next_deadline(), None);
    }
}
