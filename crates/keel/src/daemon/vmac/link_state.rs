//! What the engine was last told of each instance's own VMAC or ipvlan: up or down.
//!
//! keepalived 2.2.7 holds a `use_vmac`/`use_ipvlan` instance in FAULT while its VMAC or
//! ipvlan is down (or deleted, until it is made again) as it does while its interface is
//! down; the engine gets it as the instance's `vmac-link:NAME` tracker
//! ([`crate::vrrp_config::vmac_link_id`]), which starts up. The daemon compares the links'
//! states with what it last reported and reports only the changes, so an instance is told
//! once per transition whatever the number of netlink events.
//!
//! A `use_vmac_addr` VMAC counts for its instance too (spec §3.10; keepalived 2.2.7 tracks
//! it as the interface of the VIPs on it, see [`super::address_plans`]): the instance's
//! tracker is up while every tracked link of the instance is up.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use keel_sys::netlink::{AddressSpec, Netlink};

use super::{LinkKind, Vmacs, log};

/// The instances whose link was last reported down.
#[derive(Debug, Default)]
pub struct LinkReports {
    down: BTreeSet<String>,
}

impl LinkReports {
    /// The reports to make, as (instance, up), given every instance's own link and whether
    /// it is up now; records them as made. An instance reported down that has no link any
    /// more (a reload dropped `use_vmac`, or the kernel refused to make it again) is reported
    /// up: without a link it runs on its interface, as when its link cannot be made at start.
    pub fn changes<'a>(
        &mut self,
        links: impl Iterator<Item = (&'a str, bool)>,
    ) -> Vec<(String, bool)> {
        let mut changes = Vec::new();
        let mut seen = BTreeSet::new();
        for (instance, up) in links {
            seen.insert(instance);
            if up == self.down.contains(instance) {
                changes.push((instance.to_string(), up));
            }
        }
        for instance in &self.down {
            if !seen.contains(instance.as_str()) {
                changes.push((instance.clone(), true));
            }
        }
        for (instance, up) in &changes {
            if *up {
                self.down.remove(instance);
            } else {
                self.down.insert(instance.clone());
            }
        }
        changes
    }

    /// Records `instance`'s link as reported down; whether that is news.
    pub fn report_down(&mut self, instance: &str) -> bool {
        self.down.insert(instance.to_string())
    }
}

/// What the engine hears of the links [`Vmacs`] runs.
impl Vmacs {
    /// Every link this daemon made and runs, with its index.
    pub fn links(&self) -> impl Iterator<Item = (&str, u32)> {
        self.active.values().map(|a| (a.name.as_str(), a.index))
    }

    /// Whether `name` is a link this daemon made and runs (whatever its index now).
    pub fn is_active_name(&self, name: &str) -> bool {
        self.active.values().any(|a| a.name == name)
    }

    /// The up/down reports the engine needs about each instance's tracked links (its own
    /// VMAC or ipvlan, and its `use_vmac_addr` VMACs), as (instance, up): up when all of
    /// them are; `is_up(name, index)` says whether a link is up now (the module docs say
    /// why).
    pub fn link_reports(&mut self, is_up: impl Fn(&str, u32) -> bool) -> Vec<(String, bool)> {
        let mut instances: BTreeMap<&str, bool> = BTreeMap::new();
        for active in self.active.values().filter(|active| active.plan.tracked) {
            let up = is_up(&active.name, active.index);
            *instances.entry(active.plan.owner()).or_insert(true) &= up;
        }
        self.reports.changes(instances.into_iter())
    }

    /// Records that the instance with the tracked link `name` is reported down; the
    /// instance, when that is news to the engine.
    pub fn report_down(&mut self, name: &str) -> Option<String> {
        let instance = self
            .active
            .values()
            .find(|active| active.name == name && active.plan.tracked)
            .map(|active| active.plan.owner().to_string())?;
        self.reports.report_down(&instance).then_some(instance)
    }

    /// Puts the parent's link-local back on the IPv6 VMAC `name` when it is up again: the
    /// kernel flushes a link's IPv6 addresses when it goes down, and the VMAC is to carry
    /// that address as it did when made ([`super::VmacPlan::link_local`]). keepalived
    /// 2.2.7 does not, and its instance then stays in FAULT for want of a source address
    /// ("Using src_ip = (none)" in its data dump, seen in namespaces); keel's comes back.
    pub async fn restore_link_local(&self, netlink: &Netlink, name: &str) {
        let Some(active) = self.active.values().find(|a| a.name == name) else {
            return;
        };
        let Some(link_local) = active.plan.link_local else {
            return;
        };
        let mut spec = AddressSpec::new(active.index, IpAddr::V6(link_local), 64);
        spec.options.nodad = true;
        spec.preferred_lifetime = Some(0);
        match netlink.add_address(&spec).await {
            Ok(()) => {}
            Err(error) if error.netlink_errno() == Some(libc::EEXIST) => {}
            Err(error) => log::error(&format!(
                "({}) cannot add {link_local} to {name}: {error}",
                active.plan.owner()
            )),
        }
    }

    /// The running ipvlan (name, index) whose configured address is `address`.
    pub fn ipvlan_with_address(&self, address: IpAddr) -> Option<(&str, u32)> {
        self.active
            .values()
            .find_map(|active| match active.plan.kind {
                LinkKind::Ipvlan {
                    address: Some((configured, _)),
                    ..
                } if configured == address => Some((active.name.as_str(), active.index)),
                _ => None,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Input: VI_1 and VI_2 up (as the engine assumes), then VI_1 down twice, then VI_1 up,
    // VI_2's link gone while reported down.
    // Output: nothing at first; VI_1 down once; VI_1 up; VI_2 up when its link is gone.
    #[test]
    fn reports_each_transition_once() {
        let mut reports = LinkReports::default();
        assert!(
            reports
                .changes([("VI_1", true), ("VI_2", true)].into_iter())
                .is_empty()
        );
        assert_eq!(
            reports.changes([("VI_1", false), ("VI_2", true)].into_iter()),
            [("VI_1".to_string(), false)]
        );
        assert!(
            reports
                .changes([("VI_1", false), ("VI_2", true)].into_iter())
                .is_empty()
        );
        assert_eq!(
            reports.changes([("VI_1", true), ("VI_2", true)].into_iter()),
            [("VI_1".to_string(), true)]
        );
        assert!(reports.report_down("VI_2"));
        assert!(!reports.report_down("VI_2"));
        assert_eq!(
            reports.changes([("VI_1", true)].into_iter()),
            [("VI_2".to_string(), true)]
        );
        assert!(reports.changes([("VI_1", true)].into_iter()).is_empty());
    }
}
