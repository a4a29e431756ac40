//! The daemon's side of `no_accept` / `vrrp_strict` (spec §3.7): a MASTER that is not the
//! address owner and not in accept mode drops traffic to its VIPs, as keepalived's
//! nftables rules do; the rules go when it leaves MASTER and at stop.

use std::net::IpAddr;

use keel_conf::Config;
use keel_sys::firewall::FirewallSettings;

use super::Daemon;
use crate::daemon::log;

/// The firewall's `global_defs`: `nftables [TABLE]`, `nftables_priority`,
/// `nftables_counters` (spec §2.3).
pub(super) fn settings(config: &Config) -> FirewallSettings {
    let global = &config.global_defs;
    FirewallSettings {
        table: global
            .nftables
            .clone()
            .filter(|name| !name.is_empty())
            .unwrap_or_else(|| FirewallSettings::default().table),
        priority: global.nftables_priority,
        counters: global.nftables_counters,
    }
}

impl Daemon {
    /// `owner` becomes MASTER without accept mode: drop traffic to `addresses`.
    pub(super) fn firewall_drop(&mut self, owner: &str, addresses: &[IpAddr]) {
        log::info(&format!("({owner}) setting firewall drop rule"));
        if let Err(error) = self.firewall.drop_addresses(owner, addresses) {
            log::error(&format!(
                "({owner}) cannot set the firewall drop rule: {error}"
            ));
        }
    }

    /// `owner`'s `addresses` are removed: their DROP rules (if any) go too.
    pub(super) fn firewall_accept(&mut self, owner: &str, addresses: &[IpAddr]) {
        if !addresses.iter().any(|a| self.firewall.drops(*a)) {
            return;
        }
        log::info(&format!("({owner}) removing firewall drop rule"));
        if let Err(error) = self.firewall.accept_addresses(owner, addresses) {
            log::error(&format!(
                "({owner}) cannot remove the firewall drop rule: {error}"
            ));
        }
    }
}
