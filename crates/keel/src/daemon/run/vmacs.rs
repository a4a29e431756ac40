//! The daemon's side of `use_vmac` and `use_ipvlan` (spec §3.10): VMACs and ipvlans made
//! at start and reload, their sockets and addresses forgotten when one goes, everything
//! removed at stop. What a VMAC is and how the edge translates to the engine is in
//! [`crate::daemon::vmac`]; what an ipvlan adds, in [`crate::daemon::ipvlan`].

use std::collections::BTreeMap;
use std::net::IpAddr;

use keel_vrrp::{RouterInput, State, TrackerStatus};

use keel_sys::netlink::LinkInfo;

use super::Daemon;
use crate::daemon::{ipvlan, log, vmac};
use crate::vrrp_config;

impl Daemon {
    /// Makes the VMACs match the configuration. At `start`, VMACs and firewall tables a
    /// crashed run left behind are removed first.
    pub(super) async fn sync_vmacs(&mut self, start: bool) {
        let router = &self.router;
        let mapped = |name: &str| {
            router
                .instances()
                .iter()
                .find(|i| i.name() == name)
                .map(|i| i.config())
        };
        let mut plans = vmac::plans(&self.source, mapped);
        plans.extend(vmac::address_plans(&self.source, mapped));
        plans.extend(ipvlan::plans(&self.source, mapped));
        if start {
            let links = self.netlink.links().await.unwrap_or_default();
            let prefix = vmac::vmac_prefix(&self.source);
            self.vmacs
                .remove_leftovers(&self.netlink, &links, &prefix, &plans)
                .await;
            // use_vmac_addr's VMACs may have their own prefix (vmac_addr_prefix).
            let other_prefixes: std::collections::BTreeSet<&str> = plans
                .iter()
                .map(|plan| plan.prefix.as_str())
                .filter(|other| *other != prefix)
                .collect();
            for other in other_prefixes {
                self.vmacs
                    .remove_leftovers(&self.netlink, &links, other, &plans)
                    .await;
            }
            if let Err(error) = self.firewall.clear() {
                // Only worth a warning when this configuration needs the firewall.
                if self.needs_firewall() {
                    log::warn(&format!("removing old firewall tables: {error}"));
                } else {
                    log::detail(&format!("removing old firewall tables: {error}"));
                }
            }
        } else if let Err(error) = self
            .firewall
            .set_settings(super::firewall::settings(&self.source))
        {
            log::error(&format!("firewall: {error}"));
        }
        let links: BTreeMap<String, u32> = self
            .links
            .iter()
            .map(|(name, (index, _))| (name.clone(), *index))
            .collect();
        // Where each MASTER's VIPs are now, to move them if a reload changes `use_vmac`.
        let before: Vec<(String, String)> = self
            .router
            .instances()
            .iter()
            .filter(|instance| instance.state() == State::Master)
            .map(|instance| {
                let name = instance.name().to_string();
                let device = self
                    .vmacs
                    .device(&name)
                    .unwrap_or(&instance.config().interface)
                    .to_string();
                (name, device)
            })
            .collect();
        // A fresh listing (leftovers were just deleted): names other interfaces hold make a
        // VMAC fall back to another name (spec §3.10).
        let existing: BTreeMap<String, LinkInfo> = match self.netlink.links().await {
            Ok(list) => list
                .into_iter()
                .map(|link| (link.name.clone(), link))
                .collect(),
            Err(error) => {
                log::warn(&format!("listing links: {error}"));
                links
                    .iter()
                    .map(|(name, &index)| {
                        let link = LinkInfo {
                            index,
                            name: name.clone(),
                            admin_up: false,
                            running: false,
                            mac: None,
                            parent: None,
                            group: 0,
                            ipvlan: None,
                        };
                        (name.clone(), link)
                    })
                    .collect()
            }
        };
        let (removed, created) = self
            .vmacs
            .sync(&self.netlink, &links, &existing, &plans)
            .await;
        for name in removed {
            self.stop_absorbing();
            self.wire.close_interface(&name);
            self.packet_sockets.remove(&name);
            if let Some((index, _)) = self.links.remove(&name) {
                // Its addresses go with it; that is not someone else removing a VIP.
                self.installed.retain(|(ifindex, _)| *ifindex != index);
            }
        }
        for (name, index) in created {
            self.links.insert(name, (index, true));
        }
        if let Err(error) = self.firewall.set_vmacs(self.vmacs.parents()) {
            log::error(&format!("firewall (VMAC IGMP rule): {error}"));
        }
        for (name, old_device) in before {
            self.move_vips(&name, &old_device).await;
        }
        self.promote_secondaries();
    }

    /// `promote_secondaries`: keepalived 2.2.7 sets the interface's `promote_secondaries`
    /// sysctl to 1 while it runs (so removing one address of a subnet does not take the
    /// others with it) and puts the old value back at exit. Seen in a namespace: on the
    /// instance interface, or on the VMAC with `use_vmac` (where its VIPs go). Called after
    /// every VMAC change (start, reload, a VMAC made again); the old values are restored at
    /// stop.
    fn promote_secondaries(&mut self) {
        for instance in &self.source.vrrp.instances {
            if !instance.promote_secondaries {
                continue;
            }
            let Some(device) = self
                .vmacs
                .device(&instance.name)
                .or(instance.interface.as_deref())
            else {
                continue;
            };
            if let Err(error) = self.promoted.set(device, "promote_secondaries", "1") {
                log::warn(&format!(
                    "({}) promote_secondaries on {device}: {error}",
                    instance.name
                ));
            }
        }
    }

    /// A reload added or dropped `use_vmac` on a MASTER: its VIPs (those without `dev`)
    /// go from `old_device` to where they belong now, announced with gratuitous ARPs/NAs,
    /// with no state change (the engine never sees it).
    async fn move_vips(&mut self, name: &str, old_device: &str) {
        let Some(instance) = self.router.instance(name) else {
            return;
        };
        let base = instance.config().interface.clone();
        let new_device = self.vmacs.device(name).unwrap_or(&base).to_string();
        if new_device == old_device {
            return;
        }
        let addresses: Vec<_> = self
            .setup(name)
            .map(|setup| {
                setup
                    .addresses
                    .iter()
                    .filter(|vip| vip.dev.is_none())
                    .map(|vip| vip.address)
                    .collect()
            })
            .unwrap_or_default();
        log::info(&format!(
            "({name}) moving VIPs from {old_device} to {new_device}"
        ));
        let old_index = self.links.get(old_device).map(|(index, _)| *index);
        for address in addresses {
            let Some(spec) = self.address_spec(name, &base, address) else {
                continue;
            };
            if let Some(old_index) = old_index {
                self.installed.remove(&(old_index, address));
                let mut old = spec.clone();
                old.ifindex = old_index;
                if let Err(error) = self.netlink.delete_address(&old).await {
                    if error.netlink_errno() != Some(libc::EADDRNOTAVAIL) {
                        log::warn(&format!(
                            "({name}) removing {address} from {old_device}: {error}"
                        ));
                    }
                }
            }
            match self.netlink.add_address(&spec).await {
                Ok(()) => {}
                Err(error) if error.netlink_errno() == Some(libc::EEXIST) => {}
                Err(error) => {
                    log::error(&format!(
                        "({name}) cannot add {address} to {new_device}: {error}"
                    ));
                    continue;
                }
            }
            self.installed.insert((spec.ifindex, address));
            if let Err(error) = self.send_gratuitous(&new_device, address).await {
                log::detail(&format!("({name}) gratuitous for {address}: {error}"));
            }
        }
    }

    /// A link event for `name`, a VMAC or ipvlan this daemon made, as keepalived 2.2.7
    /// takes it (seen in namespaces and in the test VM; `tests/vmac_link.rs`,
    /// `tests/ipvlan_vm.rs`):
    ///
    /// * down (`ip link set vrrp.51 down`, or its parent down): "Netlink reports vrrp.51
    ///   down" and the instance goes to FAULT (its priority-0 advert cannot leave a down
    ///   link; its VIPs go). The link is left down: keepalived does not set it up again;
    /// * up again: "Netlink reports vrrp.51 up", and the instance leaves FAULT for BACKUP
    ///   (an IPv6 VMAC gets its parent's link-local back first, see
    ///   [`crate::daemon::vmac::Vmacs::restore_link_local`]);
    /// * deleted: FAULT as for down, "Interface vrrp.51 deleted", the link is made again
    ///   ("Success creating VMAC interface vrrp.51") and the instance goes back to BACKUP.
    ///   keepalived 2.2.7 does that for a VMAC; for an ipvlan it makes the link again but
    ///   its instance stays in FAULT (over 10 s watched). keel brings it back as for
    ///   a VMAC.
    ///
    /// A `use_vmac_addr` VMAC (`vrrp1.53` on x1 for a VIP `dev x1`) is taken alike for its
    /// instance, unless all its VIPs are `no_track` (see [`vmac::address_plans`]): down,
    /// FAULT; up, BACKUP; deleted, FAULT. keepalived 2.2.7 never makes a deleted one again
    /// (its instance stayed in FAULT, over 10 s watched in a namespace); keel makes it
    /// again and the instance comes back with every VIP, as for its own VMAC
    /// (`tests/vmac_addr_link.rs`).
    ///
    /// The kernel is asked for the link's state rather than trusting the event: events
    /// queued before the link was made (or made again) would otherwise flap the instance.
    /// An event about an older link of the same name (the deleted one) is ignored.
    pub(super) async fn vmac_link_event(
        &mut self,
        name: &str,
        index: u32,
        up: bool,
        removed: bool,
    ) {
        if !self.vmacs.is_active_link(name, index) {
            return;
        }
        let now_up = if removed {
            None
        } else {
            match self.netlink.link(index).await {
                Ok(link) if link.name == name => Some(link.is_up()),
                Ok(_) => None,
                Err(error) if error.netlink_errno() == Some(libc::ENODEV) => None,
                Err(error) => {
                    log::warn(&format!("reading link {name}: {error}"));
                    Some(up)
                }
            }
        };
        let Some(now_up) = now_up else {
            self.remake_vmac(name, index).await;
            return;
        };
        let previous = self.links.insert(name.to_string(), (index, now_up));
        if previous.map(|(_, was)| was) != Some(now_up) {
            if now_up {
                self.vmacs.restore_link_local(&self.netlink, name).await;
            }
            self.link_changed(name, now_up).await;
        }
        self.report_vmac_links().await;
    }

    /// After lost netlink events: each running VMAC and ipvlan checked as if an event had
    /// come for it (one deleted meanwhile is made again).
    pub(super) async fn check_vmac_links(&mut self) {
        let links: Vec<(String, u32)> = self
            .vmacs
            .links()
            .map(|(name, index)| (name.to_string(), index))
            .collect();
        for (name, index) in links {
            let up = self.links.get(&name).is_some_and(|&(_, up)| up);
            self.vmac_link_event(&name, index, up, false).await;
        }
    }

    /// Tells the engine of every change in the instances' own VMACs and ipvlans since it was
    /// last told ([`crate::daemon::vmac::Vmacs::link_reports`]).
    pub(super) async fn report_vmac_links(&mut self) {
        let links = &self.links;
        let reports = self.vmacs.link_reports(|name, index| {
            links
                .get(name)
                .is_some_and(|&(known, up)| known == index && up)
        });
        for (instance, up) in reports {
            self.report_vmac_link(&instance, up).await;
        }
    }

    async fn report_vmac_link(&mut self, instance: &str, up: bool) {
        log::detail(&format!(
            "({instance}) its VMAC/ipvlan is {}",
            if up { "up" } else { "down" }
        ));
        self.input(RouterInput::Tracker {
            id: vrrp_config::vmac_link_id(instance),
            status: TrackerStatus::up_or_down(up),
        })
        .await;
    }

    /// The VMAC or ipvlan `name` (index `index`) was deleted by someone else (`ip link
    /// del`): its instance goes to FAULT, then the link is made again, with its sockets, and
    /// the instance goes back to BACKUP (see [`Daemon::vmac_link_event`]). A MASTER's VIPs
    /// all come back when it is MASTER again, those of the link made again included.
    async fn remake_vmac(&mut self, name: &str, index: u32) {
        // Its sockets and addresses went with it: the priority-0 advert has no socket to
        // leave from (keepalived's fails with ENODEV) and the VIPs need no removing.
        self.stop_absorbing();
        self.wire.close_interface(name);
        self.packet_sockets.remove(name);
        self.installed.retain(|(ifindex, _)| *ifindex != index);
        if self
            .links
            .insert(name.to_string(), (index, false))
            .is_some_and(|(_, up)| up)
        {
            self.link_changed(name, false).await;
        }
        // spec §3.10, keepalived compat: a deleted tracked link (the instance's own VMAC or
        // ipvlan, or a `use_vmac_addr` VMAC holding VIPs) puts the instance in FAULT, which
        // removes its other VIPs. keepalived 2.2.7 makes only the instance's own link
        // again; keel makes a `use_vmac_addr` VMAC again too, so the instance can go back to
        // MASTER and put every VIP back instead of staying in FAULT as keepalived does.
        if let Some(instance) = self.vmacs.report_down(name) {
            self.report_vmac_link(&instance, false).await;
        }
        log::info(&format!("Interface {name} deleted"));
        let saved = self.vmacs.forget(name);
        self.links.remove(name);
        self.sync_vmacs(false).await;
        if let Some(saved) = saved {
            self.vmacs.adopt_sysctls(name, saved);
        }
        // A remade ipvlan may have another link-local address.
        self.ipvlan_sources().await;
        self.open_endpoints();
        if self.links.get(name).is_some_and(|&(_, up)| up) {
            log::info(&format!("Netlink reports {name} up"));
        }
        self.report_vmac_links().await;
    }

    /// keepalived 2.2.7 keeps an ipvlan's instance as it is when someone removes the
    /// ipvlan's configured address (`use_ipvlan ... IP`): no FAULT, no new address, adverts
    /// still leave from the configured one (seen in the test VM, `tests/ipvlan_vm.rs`); it
    /// only logs the change with `-D`, as keel does here.
    pub(super) fn ipvlan_address_event(&self, ifindex: u32, address: IpAddr, added: bool) {
        let Some((name, index)) = self.vmacs.ipvlan_with_address(address) else {
            return;
        };
        if index != ifindex {
            return;
        }
        log::detail(&if added {
            format!("Assigned address {address} for interface {name}")
        } else {
            format!("Deassigned address {address} from interface {name}")
        });
    }

    /// At stop, after the VIPs are gone: VMACs deleted, sysctls restored, firewall tables
    /// removed.
    pub(super) async fn stop_vmacs(&mut self) {
        let indexes: Vec<u32> = self.vmacs.links().map(|(_, index)| index).collect();
        self.installed
            .retain(|(ifindex, _)| !indexes.contains(ifindex));
        self.vmacs.stop(&self.netlink).await;
        if self.needs_firewall() {
            if let Err(error) = self.firewall.clear() {
                log::error(&format!("removing firewall tables: {error}"));
            }
        }
    }

    /// Whether the configuration installs firewall rules: a VMAC, or an instance that is
    /// not in accept mode (spec §3.7).
    pub(super) fn needs_firewall(&self) -> bool {
        !self.vmacs.parents().is_empty()
            || self
                .config
                .router
                .instances
                .iter()
                .any(|instance| !instance.accept_mode())
    }
}
