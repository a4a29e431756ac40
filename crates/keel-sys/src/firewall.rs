//! keepalived's VRRP firewall rules in nftables: DROP for the VIPs of a MASTER in
//! `no_accept` mode, and the IGMP redirection VMACs need (spec §3.7, §3.10).
//!
//! keepalived 2.2.7 (built with nftables, as Debian's is) keeps these in `table ip
//! keepalived` and `table ip6 keepalived` (the name is `nftables [TABLE]`), and keel uses
//! the same layout so an operator's `nft list ruleset` reads the same:
//!
//! ```text
//! table ip keepalived {
//!     map vmac_map { type iface_index : iface_index; elements = { "vrrp.51" : "e0" } }
//!     set vips { type ipv4_addr; elements = { 10.9.0.100 } }
//!     chain out { type filter hook output priority -1; policy accept;
//!         ip protocol igmp meta oifkind "macvlan" dup to ip daddr device oif map @vmac_map drop
//!         ip saddr @vips drop }
//!     chain in { type filter hook input priority -1; policy accept;
//!         ip daddr @vips drop }
//! }
//! ```
//!
//! The `in` rule is what `no_accept` means (RFC 5798 §6.1 Accept_Mode false: a MASTER that
//! is not the address owner does not accept packets addressed to the VIPs); `out` stops
//! the host answering from them. The IGMP rule (MLD in `ip6 keepalived`, where an IPv6
//! VMAC's router solicitations are also dropped) sends a VMAC's multicast reports out of
//! the parent instead, so a BACKUP's VMAC never puts the virtual MAC on the wire (which
//! would teach the switch to send the master's traffic to the backup).
//!
//! Every change re-renders the whole table and replaces it in one `nft -f` transaction
//! (create, delete, recreate), so the kernel never holds a half-updated ruleset and a table
//! a crashed run left behind is replaced rather than merged. With nothing to install the
//! tables are deleted. `nft` runs in the network namespace of the calling thread.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::net::IpAddr;

use crate::error::Result;
use crate::nft::run_script;
use crate::vmac::VmacFamily;

/// `global_defs` settings of the VRRP tables (spec §2.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirewallSettings {
    /// `nftables [TABLE]`: the table name (`keepalived`).
    pub table: String,
    /// `nftables_priority N` (-1): the hook priority of the chains.
    pub priority: i32,
    /// `nftables_counters`: a counter on every rule.
    pub counters: bool,
}

impl Default for FirewallSettings {
    fn default() -> FirewallSettings {
        FirewallSettings {
            table: "keepalived".into(),
            priority: -1,
            counters: false,
        }
    }
}

/// The VRRP firewall of one network namespace; see the module docs.
#[derive(Debug)]
pub struct VrrpFirewall {
    program: String,
    settings: FirewallSettings,
    /// DROP addresses by the instance that installed them.
    drops: BTreeMap<String, BTreeSet<IpAddr>>,
    /// VMAC name → (parent name, the VMAC's family).
    vmacs: BTreeMap<String, (String, VmacFamily)>,
    /// The script last applied successfully (nothing runs when it would not change).
    applied: Option<String>,
}

impl VrrpFirewall {
    /// A firewall that has installed nothing yet; no I/O until the first change.
    pub fn new(settings: FirewallSettings) -> VrrpFirewall {
        VrrpFirewall::with_program("nft", settings)
    }

    /// As [`VrrpFirewall::new`], running `program` instead of `nft` from `PATH`.
    pub fn with_program(program: &str, settings: FirewallSettings) -> VrrpFirewall {
        VrrpFirewall {
            program: program.to_string(),
            settings,
            drops: BTreeMap::new(),
            vmacs: BTreeMap::new(),
            applied: None,
        }
    }

    /// The settings in use.
    pub fn settings(&self) -> &FirewallSettings {
        &self.settings
    }

    /// Changes the settings (a reload); the next change re-renders with them.
    pub fn set_settings(&mut self, settings: FirewallSettings) -> Result<()> {
        if settings != self.settings {
            // The old table name must go too, or its rules would stay behind.
            let old = removal(&self.settings.table);
            self.settings = settings;
            self.applied = None;
            run_script(&self.program, &(old + &self.render()))?;
            self.applied = Some(self.render());
        }
        Ok(())
    }

    /// Drops traffic to and from `addresses` on behalf of `owner` (an instance entering
    /// MASTER with accept mode off), in addition to what `owner` already drops.
    pub fn drop_addresses(&mut self, owner: &str, addresses: &[IpAddr]) -> Result<()> {
        if !addresses.is_empty() {
            self.drops
                .entry(owner.to_string())
                .or_default()
                .extend(addresses.iter().copied());
        }
        self.apply()
    }

    /// Stops dropping `addresses` for `owner` (its VIPs removed: it left MASTER or stopped).
    pub fn accept_addresses(&mut self, owner: &str, addresses: &[IpAddr]) -> Result<()> {
        if let Some(set) = self.drops.get_mut(owner) {
            for address in addresses {
                set.remove(address);
            }
            if set.is_empty() {
                self.drops.remove(owner);
            }
        }
        self.apply()
    }

    /// The VMACs (name → parent and family) whose IGMP (IPv4) or MLD (IPv6) reports go out
    /// of the parent; IPv6 VMACs also send no router solicitations (keepalived's rules).
    pub fn set_vmacs(&mut self, vmacs: BTreeMap<String, (String, VmacFamily)>) -> Result<()> {
        self.vmacs = vmacs;
        self.apply()
    }

    /// Removes both tables whatever they hold (a leftover of a crashed run at start, or
    /// everything at stop) and forgets every rule.
    pub fn clear(&mut self) -> Result<()> {
        self.drops.clear();
        self.vmacs.clear();
        run_script(&self.program, &removal(&self.settings.table))?;
        self.applied = Some(self.render());
        Ok(())
    }

    /// Whether any DROP rule is installed for `address`.
    pub fn drops(&self, address: IpAddr) -> bool {
        self.drops.values().any(|set| set.contains(&address))
    }

    /// The whole `nft -f` script for the current state: both tables replaced (or only
    /// deleted when empty).
    pub fn render(&self) -> String {
        let mut script = String::new();
        for family in [Family::V4, Family::V6] {
            let name = format!("{} {}", family.table_family(), self.settings.table);
            let _ = writeln!(script, "add table {name}\ndelete table {name}");
            let body = self.table_body(family);
            if !body.is_empty() {
                let _ = write!(script, "table {name} {{\n{body}}}\n");
            }
        }
        script
    }

    fn apply(&mut self) -> Result<()> {
        let script = self.render();
        if self.applied.as_deref() == Some(script.as_str()) {
            return Ok(());
        }
        run_script(&self.program, &script)?;
        self.applied = Some(script);
        Ok(())
    }

    fn table_body(&self, family: Family) -> String {
        let addresses: BTreeSet<IpAddr> = self
            .drops
            .values()
            .flatten()
            .copied()
            .filter(|a| family.holds(*a))
            .collect();
        let vmac_family = match family {
            Family::V4 => VmacFamily::Ipv4,
            Family::V6 => VmacFamily::Ipv6,
        };
        let own_vmacs: Vec<(&String, &String)> = self
            .vmacs
            .iter()
            .filter(|(_, (_, f))| *f == vmac_family)
            .map(|(name, (parent, _))| (name, parent))
            .collect();
        let vmacs = !own_vmacs.is_empty();
        if addresses.is_empty() && !vmacs {
            return String::new();
        }
        let counter = if self.settings.counters {
            "counter "
        } else {
            ""
        };
        let (ip, set_type) = (family.match_family(), family.set_type());
        let hook = |chain: &str, hook: &str| {
            format!(
                "\tchain {chain} {{\n\t\ttype filter hook {hook} priority {}; policy accept;\n",
                self.settings.priority
            )
        };
        let mut body = String::new();
        if vmacs {
            let elements: Vec<String> = own_vmacs
                .iter()
                .map(|(vmac, parent)| format!("\"{vmac}\" : \"{parent}\""))
                .collect();
            let _ = write!(
                body,
                "\tmap vmac_map {{\n\t\ttype iface_index : iface_index\n\t\telements = {{ {} }}\n\t}}\n",
                elements.join(", ")
            );
            if family == Family::V6 {
                let names: Vec<String> = own_vmacs
                    .iter()
                    .map(|(vmac, _)| format!("\"{vmac}\""))
                    .collect();
                let _ = write!(
                    body,
                    "\tset vmac_set {{\n\t\ttype iface_index\n\t\telements = {{ {} }}\n\t}}\n",
                    names.join(", ")
                );
            }
        }
        if !addresses.is_empty() {
            let elements: Vec<String> = addresses.iter().map(IpAddr::to_string).collect();
            let _ = write!(
                body,
                "\tset vips {{\n\t\ttype {set_type}\n\t\telements = {{ {} }}\n\t}}\n",
                elements.join(", ")
            );
        }
        body.push_str(&hook("out", "output"));
        if vmacs && family == Family::V4 {
            let _ = writeln!(
                body,
                "\t\tip protocol igmp meta oifkind \"macvlan\" {counter}dup to ip daddr device oif map @vmac_map drop"
            );
        }
        if vmacs && family == Family::V6 {
            let _ = writeln!(
                body,
                "\t\ticmpv6 type mld2-listener-report meta oifkind \"macvlan\" {counter}dup to ip6 daddr device oif map @vmac_map drop"
            );
            let _ = writeln!(
                body,
                "\t\ticmpv6 type nd-router-solicit meta oifkind \"macvlan\" oif @vmac_set {counter}drop"
            );
        }
        if !addresses.is_empty() {
            let _ = writeln!(body, "\t\t{ip} saddr @vips {counter}drop");
        }
        body.push_str("\t}\n");
        if !addresses.is_empty() {
            body.push_str(&hook("in", "input"));
            let _ = writeln!(body, "\t\t{ip} daddr @vips {counter}drop");
            body.push_str("\t}\n");
        }
        body
    }
}

/// The script deleting both tables named `table` (present or not).
fn removal(table: &str) -> String {
    format!(
        "add table ip {table}\ndelete table ip {table}\nadd table ip6 {table}\ndelete table ip6 {table}\n"
    )
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    V4,
    V6,
}

impl Family {
    fn table_family(self) -> &'static str {
        match self {
            Family::V4 => "ip",
            Family::V6 => "ip6",
        }
    }

    fn match_family(self) -> &'static str {
        self.table_family()
    }

    fn set_type(self) -> &'static str {
        match self {
            Family::V4 => "ipv4_addr",
            Family::V6 => "ipv6_addr",
        }
    }

    fn holds(self, address: IpAddr) -> bool {
        matches!(
            (self, address),
            (Family::V4, IpAddr::V4(_)) | (Family::V6, IpAddr::V6(_))
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn firewall() -> VrrpFirewall {
        // `sort -f -` reads any script and succeeds, so these tests need neither root nor nft.
        VrrpFirewall::with_program("sort", FirewallSettings::default())
    }

    // Input: VI_1 (no_accept) becomes MASTER with 10.9.0.100 and fd00::100.
    // Output: keepalived's layout: set vips in each family's table, drop in `in` and `out`
    // at priority -1.
    #[test]
    fn master_without_accept_drops_its_vips_in_both_families() {
        let mut firewall = firewall();
        firewall
            .drop_addresses(
                "VI_1",
                &["10.9.0.100".parse().unwrap(), "fd00::100".parse().unwrap()],
            )
            .unwrap();
        let script = firewall.render();
        assert!(script.starts_with("add table ip keepalived\ndelete table ip keepalived\n"));
        assert!(script.contains(
            "table ip keepalived {\n\tset vips {\n\t\ttype ipv4_addr\n\t\telements = { 10.9.0.100 }\n\t}\n"
        ));
        assert!(script.contains("\tchain in {\n\t\ttype filter hook input priority -1; policy accept;\n\t\tip daddr @vips drop\n\t}\n"));
        assert!(script.contains("\t\tip saddr @vips drop\n"));
        assert!(script.contains("elements = { fd00::100 }"));
        assert!(script.contains("\t\tip6 daddr @vips drop\n"));
        assert!(firewall.drops("10.9.0.100".parse().unwrap()));
    }

    // Input: VI_1 leaves MASTER (its VIP accepted again); nothing else is installed.
    // Output: the script only deletes the tables.
    #[test]
    fn leaving_master_removes_the_tables() {
        let mut firewall = firewall();
        firewall
            .drop_addresses("VI_1", &["10.9.0.100".parse().unwrap()])
            .unwrap();
        firewall
            .accept_addresses("VI_1", &["10.9.0.100".parse().unwrap()])
            .unwrap();
        assert_eq!(firewall.render(), removal("keepalived"));
        assert!(!firewall.drops("10.9.0.100".parse().unwrap()));
    }

    // Input: two instances drop their VIPs; one leaves MASTER.
    // Output: only the other's address is left in the set.
    #[test]
    fn each_instance_owns_its_addresses() {
        let mut firewall = firewall();
        firewall
            .drop_addresses("VI_1", &["10.9.0.100".parse().unwrap()])
            .unwrap();
        firewall
            .drop_addresses("VI_2", &["10.9.0.200".parse().unwrap()])
            .unwrap();
        firewall
            .accept_addresses("VI_1", &["10.9.0.100".parse().unwrap()])
            .unwrap();
        let script = firewall.render();
        assert!(script.contains("elements = { 10.9.0.200 }"), "{script}");
        assert!(!script.contains("10.9.0.100"), "{script}");
    }

    // Input: an IPv4 VMAC vrrp.51 and an IPv6 VMAC vrrp.52 on e0, no DROP addresses,
    // nftables_counters, priority -5, table name kfw.
    // Output: the IGMP redirection rule with a counter in `table ip kfw`, the MLD and router
    // solicitation rules in `table ip6 kfw`; no `in` chain.
    #[test]
    fn vmac_igmp_rule_follows_settings() {
        let mut firewall = VrrpFirewall::with_program(
            "sort",
            FirewallSettings {
                table: "kfw".into(),
                priority: -5,
                counters: true,
            },
        );
        firewall
            .set_vmacs(BTreeMap::from([
                ("vrrp.51".into(), ("e0".into(), VmacFamily::Ipv4)),
                ("vrrp.52".into(), ("e0".into(), VmacFamily::Ipv6)),
            ]))
            .unwrap();
        let script = firewall.render();
        assert!(
            script.contains("table ip kfw {\n\tmap vmac_map {"),
            "{script}"
        );
        assert!(script.contains("elements = { \"vrrp.51\" : \"e0\" }"));
        assert!(script.contains("type filter hook output priority -5; policy accept;"));
        assert!(script.contains(
            "ip protocol igmp meta oifkind \"macvlan\" counter dup to ip daddr device oif map @vmac_map drop"
        ));
        assert!(!script.contains("chain in"));
        // The IPv6 VMAC: MLD reports from the parent, no router solicitations.
        assert!(
            script.contains("table ip6 kfw {\n\tmap vmac_map {"),
            "{script}"
        );
        assert!(
            script.contains("set vmac_set {\n\t\ttype iface_index\n\t\telements = { \"vrrp.52\" }")
        );
        assert!(script.contains(
            "icmpv6 type mld2-listener-report meta oifkind \"macvlan\" counter dup to ip6 daddr device oif map @vmac_map drop"
        ));
        assert!(script.contains(
            "icmpv6 type nd-router-solicit meta oifkind \"macvlan\" oif @vmac_set counter drop"
        ));
    }

    // Input: nft refuses the script (`grep -f -` reads it and exits 1: nothing matched).
    // Output: an error naming nft; the state is not marked applied, so the next change
    // tries again.
    #[test]
    fn a_refused_script_is_an_error() {
        let mut firewall = VrrpFirewall::with_program("grep", FirewallSettings::default());
        let error = firewall
            .drop_addresses("VI_1", &["10.9.0.100".parse().unwrap()])
            .unwrap_err();
        assert!(error.to_string().contains("nft"), "{error}");
        assert!(firewall.applied.is_none());
    }
}
