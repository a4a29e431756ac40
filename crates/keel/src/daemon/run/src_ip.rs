//! `track_src_ip` (spec §2.6): an instance whose source address leaves its interface goes
//! to FAULT until the address is back. keepalived 2.2.7, seen in a namespace with the
//! interface's primary address deleted and added again: "Deassigned address 10.5.0.1 from
//! interface a0", "(VI_1) Entering FAULT STATE", then BACKUP once it was added again. The
//! engine has it as a weight-0 up/down tracker ([`vrrp_config::src_ip_id`]).

use std::net::IpAddr;
use std::time::Instant;

use keel_vrrp::{RouterInput, TrackerStatus};

use super::Daemon;
use crate::daemon::log;
use crate::vrrp_config;

impl Daemon {
    /// `address` was added to or removed from interface `ifindex`: every `track_src_ip`
    /// instance with that source address on that interface hears of it.
    pub(super) async fn source_address_event(
        &mut self,
        ifindex: u32,
        address: IpAddr,
        added: bool,
    ) {
        let affected: Vec<String> = self
            .router
            .instances()
            .iter()
            .filter(|instance| {
                let config = instance.config();
                config.primary_address == address
                    && config
                        .trackers
                        .iter()
                        .any(|t| t.id == vrrp_config::src_ip_id(&config.name))
                    // The address sits on the instance interface, or on the link its
                    // adverts leave by (an ipvlan's own address).
                    && [
                        config.interface.as_str(),
                        self.vmacs.wire_interface(&config.name, &config.interface),
                    ]
                    .iter()
                    .any(|name| self.links.get(*name).is_some_and(|&(index, _)| index == ifindex))
            })
            .map(|instance| instance.name().to_string())
            .collect();
        for name in affected {
            log::info(&format!(
                "({name}) source address {address} {}",
                if added { "is back" } else { "was removed" }
            ));
            self.input(RouterInput::Tracker {
                id: vrrp_config::src_ip_id(&name),
                status: TrackerStatus::up_or_down(added),
            })
            .await;
        }
    }
}

impl Daemon {
    /// An address was added (`removed` is `None`) or `removed` was removed: an instance
    /// may have a different source address now, and is mapped again, the engine reloaded
    /// with it when its source or trackers changed:
    /// - one that had none when the configuration was mapped (held in FAULT by
    ///   [`vrrp_config::source_missing_id`]) may have one: it leaves FAULT as keepalived
    ///   2.2.7 did ("Assigned address 10.88.0.1 for interface e0", "(VI_1) Entering
    ///   BACKUP STATE", then MASTER);
    /// - one that advertised from `removed`, its interface's address (no configured
    ///   source, no ipvlan), takes the interface's next address, or, with none left, goes to FAULT: keepalived 2.2.7,
    ///   seen with e0's only address removed and no `track_src_ip`, "(VI_1) Entering FAULT
    ///   STATE", then BACKUP and MASTER once it was added again.
    pub(super) async fn remap_sources(&mut self, removed: Option<IpAddr>) {
        // The interface's address is the source: no configured one, and no ipvlan, whose
        // source is run/ipvlan_source.rs's business.
        let follows_interface = |name: &str| {
            self.source
                .vrrp
                .instances
                .iter()
                .find(|i| i.name == name)
                .is_some_and(|i| i.configured_source().is_none() && i.use_ipvlan.is_none())
        };
        let affected = |instance: &keel_vrrp::Instance| {
            let id = vrrp_config::source_missing_id(instance.name());
            instance.config().trackers.iter().any(|t| t.id == id)
                || (removed == Some(instance.config().primary_address)
                    && follows_interface(instance.name()))
        };
        let candidates: Vec<String> = self
            .router
            .instances()
            .iter()
            .filter(|instance| affected(instance))
            .map(|instance| instance.name().to_string())
            .collect();
        if candidates.is_empty() {
            return;
        }
        let config = self.source.clone();
        let mut mapped = self.map_quietly(&config).await;
        let found: Vec<String> = self
            .router
            .instances()
            .iter()
            .filter(|old| candidates.iter().any(|name| name == old.name()))
            .filter(|old| {
                mapped.router.instances.iter().any(|new| {
                    new.name == old.name()
                        && (new.primary_address != old.config().primary_address
                            || new.trackers != old.config().trackers)
                })
            })
            .map(|old| old.name().to_string())
            .collect();
        if found.is_empty() {
            return;
        }
        // Why an instance is held in FAULT now; the rest of the mapping's warnings were
        // logged when the configuration was loaded.
        for warning in mapped.warnings.iter().filter(|warning| {
            found
                .iter()
                .any(|name| warning.starts_with(&format!("({name}) ")))
        }) {
            log::warn(warning);
        }
        let router = std::mem::take(&mut mapped.router);
        self.stop_absorbing();
        if let Err(error) = self.router.reload(self.wire.tick(Instant::now()), router) {
            log::error(&format!("source addresses: {error}"));
            return;
        }
        for name in &found {
            if let Some(instance) = self.router.instances().iter().find(|i| i.name() == name) {
                let source = instance.config().primary_address;
                if !source.is_unspecified() {
                    log::info(&format!("({name}) advertises from {source}"));
                }
            }
        }
        self.config = mapped;
        self.open_endpoints();
        self.drain().await;
    }
}
