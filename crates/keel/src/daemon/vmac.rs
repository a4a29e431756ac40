//! `use_vmac`: each such instance gets keepalived's macvlan (spec §3.10) and runs on it.
//!
//! The engine keeps knowing the instance by its configured interface (whose link state
//! decides FAULT, as the VMAC's does: `vmac/link_state.rs`); the daemon translates at
//! the edge:
//!
//! * adverts are sent and received on the VMAC (keepalived's sockpool binds there), or on
//!   the base interface with `vmac_xmit_base`. A multicast frame whose source MAC is one of
//!   this host's macvlans is delivered to that macvlan only, so a peer's advert from the same
//!   virtual MAC reaches the VMAC, never the base: listening on the VMAC is what makes
//!   VMAC routers hear each other;
//! * VIPs without a `dev` go on the VMAC, and gratuitous ARPs leave from it with the virtual
//!   MAC as sender, so clients' ARP caches point at 00:00:5e:00:01:VRID;
//! * the VMAC stays up in every state, as keepalived 2.2.7 keeps it: a BACKUP's VMAC holds
//!   no address and sends nothing (its IGMP reports are sent from the parent by the
//!   firewall's `vmac_map` rule);
//! * it is deleted at stop and when a reload drops `use_vmac`; a VMAC left by a crashed run
//!   is deleted at start, before the new one is made.
//!
//! `use_ipvlan`'s ipvlan ([`crate::daemon::ipvlan`]) runs through the same table as a
//! VMAC of another kind ([`LinkKind::Ipvlan`]): named, kept, reported to the engine and
//! deleted alike; what differs is made there, and where VIPs go (see [`Vmacs::device`]).

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv6Addr};

use keel_conf::Config;
use keel_sys::netlink::{AddressSpec, IpvlanFlag, LinkInfo, MacvlanSpec, Netlink};
use keel_sys::vmac::{SysctlRestore, VmacFamily, configure_vmac_sysctls, vmac_address};
use keel_vrrp::{Family, InstanceConfig};

use super::log;

mod link_state;

/// One instance's VMAC as the configuration asks for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VmacPlan {
    /// The instance.
    pub instance: String,
    /// The instance's configured interface (the macvlan's parent).
    pub base: String,
    /// The macvlan's name: `use_vmac NAME`, else `<vmac_prefix>.<VRID>` (the name it gets
    /// may differ when that one is taken, see [`free_name`]).
    pub name: String,
    /// Whether `name` was configured (`use_vmac NAME`) rather than the default.
    pub named: bool,
    /// `<vmac_prefix>`, for the fallback names.
    pub prefix: String,
    /// The instance's family (adverts and the default MAC).
    pub family: Family,
    /// The VRID.
    pub vrid: u8,
    /// A macvlan (`use_vmac`) or an ipvlan (`use_ipvlan`), with what each needs.
    pub kind: LinkKind,
    /// `vmac_xmit_base`: adverts leave from the base interface.
    pub xmit_base: bool,
    /// IPv6: the base interface's link-local address, which the VMAC gets too (adverts
    /// leave from it, spec §3.1).
    pub link_local: Option<Ipv6Addr>,
    /// `use_vmac ... group G`: the VMAC's link group; else the parent's (spec §3.10).
    pub group: Option<u32>,
    /// Whether the instance goes to FAULT while this link is down or gone: its own VMAC or
    /// ipvlan unless `dont_track_primary`; a `use_vmac_addr` VMAC unless every VIP on it is
    /// `no_track` (see [`address_plans`]).
    pub tracked: bool,
}

/// The kind of link a [`VmacPlan`] makes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkKind {
    /// `use_vmac`: a macvlan in mode private with this MAC.
    Macvlan {
        /// The virtual MAC (or the configured one).
        mac: [u8; 6],
        /// Whether IPv6 stays enabled on it (see [`keeps_ipv6`]); otherwise it has no
        /// IPv6 at all, as keepalived 2.2.7 leaves an IPv4 VMAC.
        ipv6: bool,
    },
    /// `use_ipvlan`: an ipvlan in mode L2 sharing its parent's MAC (spec §3.10).
    Ipvlan {
        /// `bridge`, `private` or `vepa`.
        flag: IpvlanFlag,
        /// The address put on it (`use_ipvlan ... IP/LEN`).
        address: Option<(IpAddr, u8)>,
        /// Whether IPv6 stays enabled on it: an IPv6 instance, or an IPv4 one with IPv6
        /// excluded addresses (keepalived 2.2.7 disables IPv6 on it otherwise).
        ipv6: bool,
    },
}

impl VmacPlan {
    /// The macvlan's MAC; `None` for an ipvlan (it has its parent's).
    pub fn mac(&self) -> Option<[u8; 6]> {
        match self.kind {
            LinkKind::Macvlan { mac, .. } => Some(mac),
            LinkKind::Ipvlan { .. } => None,
        }
    }

    /// Whether this is `use_ipvlan`'s ipvlan.
    pub fn is_ipvlan(&self) -> bool {
        matches!(self.kind, LinkKind::Ipvlan { .. })
    }

    /// Whether `other` asks for the same link (whether it is tracked aside): a reload that
    /// changes only that keeps the running link.
    fn same_link(&self, other: &VmacPlan) -> bool {
        VmacPlan {
            tracked: other.tracked,
            ..self.clone()
        } == *other
    }

    /// What keepalived calls the interface in its log lines.
    fn what(&self) -> &'static str {
        if self.is_ipvlan() { "ipvlan" } else { "VMAC" }
    }

    /// The instance the VMAC belongs to, for log lines (`instance` is a key: for a
    /// `use_vmac_addr` VMAC it names the interface too, see [`address_key`]).
    pub fn owner(&self) -> &str {
        self.instance
            .split_once(' ')
            .map_or(self.instance.as_str(), |(owner, _)| owner)
    }
}

/// The VMAC plans of a configuration (instances the engine runs only); `mapped` finds the
/// engine's configuration of an instance by name.
pub fn plans<'a>(
    config: &Config,
    mapped: impl Fn(&str) -> Option<&'a InstanceConfig>,
) -> Vec<VmacPlan> {
    let prefix = vmac_prefix(config);
    config
        .vrrp
        .instances
        .iter()
        // keepalived 2.2.7 creates the ipvlan when both are given (keel-conf notes it).
        .filter(|instance| instance.use_ipvlan.is_none())
        .filter_map(|instance| {
            let vmac = instance.use_vmac.as_ref()?;
            let mapped = mapped(&instance.name)?;
            let family = mapped.family;
            let default_mac = vmac_address(
                mapped.vrid,
                match family {
                    Family::Ipv4 => VmacFamily::Ipv4,
                    Family::Ipv6 => VmacFamily::Ipv6,
                },
            );
            Some(VmacPlan {
                instance: instance.name.clone(),
                base: mapped.interface.clone(),
                name: vmac
                    .name
                    .clone()
                    .unwrap_or_else(|| keel_sys::vmac::vmac_name(&prefix, mapped.vrid)),
                named: vmac.name.is_some(),
                prefix: prefix.clone(),
                family,
                vrid: mapped.vrid,
                kind: LinkKind::Macvlan {
                    mac: vmac
                        .mac
                        .as_deref()
                        .and_then(|text| parse_mac(text, mapped.vrid))
                        .unwrap_or(default_mac),
                    ipv6: keeps_ipv6(instance, family),
                },
                xmit_base: instance.vmac_xmit_base,
                link_local: match mapped.primary_address {
                    IpAddr::V6(address) => Some(address),
                    IpAddr::V4(_) => None,
                },
                group: vmac.group,
                // vrrp_config: `dont_track_primary` tracks neither the interface nor its VMAC.
                tracked: !instance.dont_track_primary,
            })
        })
        .collect()
}

/// The VMACs of `use_vmac_addr` (spec §3.10, keepalived.conf(5)): for each instance with
/// it, a VMAC on every other interface one of its VIPs names with `dev` (also for a VIP
/// with its own `use_vmac` option), carrying those VIPs under the VIP family's virtual MAC,
/// named `<vmac_addr_prefix>.<VRID>` (default prefix: `vmac_prefix`) with the usual
/// fallback. Adverts never use them. Each is keyed by [`address_key`].
///
/// keepalived 2.2.7 tracks a VIP's interface unless the VIP is `no_track` (spec §2.6), and
/// with `use_vmac_addr` that interface is the VMAC: seen in a namespace, `ip link set
/// vrrp1.53 down` on a MASTER logs "Netlink reports vrrp1.53 down" and "(VI_1) Entering
/// FAULT STATE" and removes every VIP; `ip link del vrrp1.53` does the same ("Interface
/// vrrp1.53 deleted"); with `no_track` on the VIP neither changes the state. So such a
/// VMAC is [`VmacPlan::tracked`] when one of its VIPs is not `no_track`.
pub fn address_plans<'a>(
    config: &Config,
    mapped: impl Fn(&str) -> Option<&'a InstanceConfig>,
) -> Vec<VmacPlan> {
    let prefix = global_string(config, "vmac_addr_prefix").unwrap_or_else(|| vmac_prefix(config));
    let mut plans: Vec<VmacPlan> = Vec::new();
    for instance in &config.vrrp.instances {
        let Some(mapped) = mapped(&instance.name) else {
            continue;
        };
        for (vip, dev) in crate::vrrp_config::address_vmac_vips(instance, &mapped.interface) {
            let key = address_key(&instance.name, dev);
            if let Some(plan) = plans.iter_mut().find(|plan| plan.instance == key) {
                plan.tracked |= !vip.no_track;
                continue;
            }
            let (family, vmac_family) = match vip.address {
                IpAddr::V4(_) => (Family::Ipv4, VmacFamily::Ipv4),
                IpAddr::V6(_) => (Family::Ipv6, VmacFamily::Ipv6),
            };
            plans.push(VmacPlan {
                instance: key,
                base: dev.to_string(),
                name: keel_sys::vmac::vmac_name(&prefix, mapped.vrid),
                named: false,
                prefix: prefix.clone(),
                family,
                vrid: mapped.vrid,
                kind: LinkKind::Macvlan {
                    mac: vmac_address(mapped.vrid, vmac_family),
                    ipv6: family == Family::Ipv6,
                },
                // Only VIPs: the instance's adverts stay on its own interface or VMAC.
                xmit_base: true,
                link_local: None,
                group: None,
                tracked: !vip.no_track,
            });
        }
    }
    plans
}

/// The key of `instance`'s `use_vmac_addr` VMAC on `dev` among the running VMACs (a space
/// cannot occur in an instance name).
pub fn address_key(instance: &str, dev: &str) -> String {
    format!("{instance} {dev}")
}

/// `vmac_prefix` from `global_defs` (keepalived's default `vrrp`).
pub fn vmac_prefix(config: &Config) -> String {
    global_string(config, "vmac_prefix").unwrap_or_else(|| "vrrp".into())
}

/// The last `keyword VALUE` of `global_defs` kept as written.
fn global_string(config: &Config, keyword: &str) -> Option<String> {
    config
        .global_defs
        .other
        .iter()
        .rev()
        .find(|raw| raw.keyword == keyword)
        .and_then(|raw| raw.args.first())
        .cloned()
}

/// The name `plan`'s VMAC gets, as keepalived 2.2.7 picks it (vrrp.c,
/// `vrrp_complete_instance`; spec §3.10) when `taken` says a name is used by another
/// interface: a configured name that is taken is ignored (keepalived 2.2.7 reports
/// "(INSTANCE) interface NAME already exists and is not a private macvlan; ignoring vmac
/// if_name"); the
/// default `<prefix>.<VRID>` falls back to `<prefix>1.<VRID>`, `<prefix>2.<VRID>`, ...,
/// and an IPv6 instance tries `<prefix>6.<VRID>` first (so the IPv4 and IPv6 instances of
/// one VRID get `vrrp.N` and `vrrp6.N`). `None` when every name up to the kernel's 15
/// characters is taken.
pub fn free_name(plan: &VmacPlan, taken: impl Fn(&str) -> bool) -> Option<String> {
    if !taken(&plan.name) {
        return Some(plan.name.clone());
    }
    if plan.named {
        log::error(&if plan.is_ipvlan() {
            // keepalived 2.2.7 (vrrp_parser.c, use_ipvlan).
            format!(
                "({}) interface {} already exists and is not an l2 ipvlan; ignoring ipvlan if_name",
                plan.owner(),
                plan.name
            )
        } else {
            format!(
                "({}) interface {} already exists and is not a private macvlan; ignoring vmac if_name",
                plan.owner(),
                plan.name
            )
        });
        let default = keel_sys::vmac::vmac_name(&plan.prefix, plan.vrid);
        if !taken(&default) {
            return Some(default);
        }
    }
    // IPv4: 1, 2, 3, ...; IPv6: 6, 1, 2, 3, 4, 5, 7, 8, ...
    let numbers = (1u32..).filter(|&n| plan.family == Family::Ipv4 || n != 6);
    let numbers: Box<dyn Iterator<Item = u32>> = match plan.family {
        Family::Ipv4 => Box::new(numbers),
        Family::Ipv6 => Box::new(std::iter::once(6).chain(numbers)),
    };
    numbers
        .map(|n| format!("{}{n}.{}", plan.prefix, plan.vrid))
        .take_while(|name| name.len() <= IFNAMSIZ_MAX)
        .find(|name| !taken(name))
}

/// The longest interface name Linux accepts (IFNAMSIZ 16, with the NUL).
const IFNAMSIZ_MAX: usize = 15;

/// `use_vmac MAC`: six octets as given, or five with the VRID appended (spec §3.10).
pub fn parse_mac(text: &str, vrid: u8) -> Option<[u8; 6]> {
    let octets: Vec<u8> = text
        .split(':')
        .map(|part| u8::from_str_radix(part, 16).ok())
        .collect::<Option<_>>()?;
    match octets.len() {
        6 => <[u8; 6]>::try_from(octets.as_slice()).ok(),
        5 => Some([octets[0], octets[1], octets[2], octets[3], octets[4], vrid]),
        _ => None,
    }
}

/// Whether `link` is a VMAC keel (or keepalived) made: a macvlan-like child link with a
/// VRRP virtual MAC (RFC 5798 §7.3) named `<prefix>.<VRID>`, `<prefix><N>.<VRID>` (the
/// collision names) or one of the `configured` names.
pub fn is_vmac_leftover(link: &LinkInfo, prefix: &str, configured: &[String]) -> bool {
    let virtual_mac = link
        .mac
        .is_some_and(|mac| mac[..4] == [0x00, 0x00, 0x5e, 0x00] && matches!(mac[4], 1 | 2));
    if link.parent.is_none() || !virtual_mac {
        return false;
    }
    if configured.contains(&link.name) {
        return true;
    }
    let Some(rest) = link.name.strip_prefix(prefix) else {
        return false;
    };
    let Some((counter, vrid)) = rest.split_once('.') else {
        return false;
    };
    counter.bytes().all(|b| b.is_ascii_digit())
        && !vrid.is_empty()
        && vrid.parse::<u8>().is_ok_and(|v| v > 0)
}

/// The VMACs the daemon made and runs instances on.
#[derive(Debug, Default)]
pub struct Vmacs {
    active: BTreeMap<String, Active>,
    /// What the engine was last told of each instance's own link.
    reports: link_state::LinkReports,
}

#[derive(Debug)]
struct Active {
    plan: VmacPlan,
    /// The name it got ([`free_name`]): the plan's unless that was taken.
    name: String,
    index: u32,
    sysctls: Option<SysctlRestore>,
}

impl Vmacs {
    /// Deletes VMACs left behind by a crashed run (at start, before [`Vmacs::sync`]).
    pub async fn remove_leftovers(
        &self,
        netlink: &Netlink,
        links: &[LinkInfo],
        prefix: &str,
        plans: &[VmacPlan],
    ) {
        let configured: Vec<String> = plans
            .iter()
            .filter(|p| !p.is_ipvlan())
            .map(|p| p.name.clone())
            .collect();
        for link in links
            .iter()
            .filter(|l| is_vmac_leftover(l, prefix, &configured))
        {
            match netlink.delete_link(link.index).await {
                Ok(()) => log::info(&format!("Removed leftover VMAC interface {}", link.name)),
                Err(error) => log::warn(&format!(
                    "cannot remove leftover VMAC {}: {error}",
                    link.name
                )),
            }
        }
    }

    /// Makes the running VMACs match `plans`: creates the new ones (with keepalived's
    /// sysctls), deletes those no longer wanted. Returns the names deleted (their sockets
    /// are to be closed) and the links created (name, index).
    /// `existing` is every interface there is now, by name (a fresh listing: a name taken
    /// by another interface makes the VMAC fall back to another, see [`free_name`]; a VMAC
    /// without `group G` joins its parent's group; an L2 ipvlan of the wanted name on the
    /// right parent is taken over, see [`crate::daemon::ipvlan::reusable`]).
    pub async fn sync(
        &mut self,
        netlink: &Netlink,
        links: &BTreeMap<String, u32>,
        existing: &BTreeMap<String, LinkInfo>,
        plans: &[VmacPlan],
    ) -> (Vec<String>, Vec<(String, u32)>) {
        let mut removed = Vec::new();
        let stale: Vec<String> = self
            .active
            .iter()
            .filter(|(instance, active)| {
                !plans
                    .iter()
                    .any(|p| &p.instance == *instance && active.plan.same_link(p))
            })
            .map(|(instance, _)| instance.clone())
            .collect();
        for instance in stale {
            if let Some(mut active) = self.active.remove(&instance) {
                removed.push(active.name.clone());
                // Another VMAC on the same parent still needs the parent's sysctls: it
                // takes over the saved originals instead of having them restored now.
                if let Some(other) = self
                    .active
                    .values_mut()
                    .find(|other| other.plan.base == active.plan.base && !other.plan.is_ipvlan())
                {
                    if let Some(mine) = active.sysctls.take() {
                        match &mut other.sysctls {
                            Some(theirs) => theirs.absorb(mine),
                            None => other.sysctls = Some(mine),
                        }
                    }
                }
                delete(netlink, active).await;
            }
        }
        let mut created = Vec::new();
        for plan in plans {
            if let Some(active) = self.active.get_mut(&plan.instance) {
                active.plan.tracked = plan.tracked;
                continue;
            }
            let Some(&parent) = links.get(&plan.base) else {
                log::error(&format!(
                    "({}) cannot create {} {}: interface {} not found",
                    plan.owner(),
                    plan.what(),
                    plan.name,
                    plan.base
                ));
                continue;
            };
            let ours: Vec<&str> = self.active.values().map(|a| a.name.as_str()).collect();
            let taken = |name: &str| {
                // Our own running VMACs are in `existing` too; the ones deleted just above
                // are not taken any more. An ipvlan that keepalived could take over is not
                // taken either (vrrp.c, vrrp_complete_instance: "Found matching interface").
                let other = existing.get(name).is_some_and(|link| {
                    let gone = removed.iter().any(|r| r == name);
                    let reused = plan.is_ipvlan() && super::ipvlan::reusable(link, parent);
                    !(gone || reused)
                });
                other || ours.contains(&name)
            };
            let Some(name) = free_name(plan, taken) else {
                log::error(&format!(
                    "({}) cannot create {} interface: no free name",
                    plan.owner(),
                    plan.what()
                ));
                continue;
            };
            let made = match &plan.kind {
                &LinkKind::Macvlan { mac, ipv6 } => {
                    create_macvlan(netlink, plan, &name, (mac, ipv6), parent, existing).await
                }
                LinkKind::Ipvlan { .. } => {
                    super::ipvlan::create(netlink, plan, &name, parent, existing.get(&name)).await
                }
            };
            let Some((index, sysctls)) = made else {
                continue;
            };
            created.push((name.clone(), index));
            self.active.insert(
                plan.instance.clone(),
                Active {
                    plan: plan.clone(),
                    name,
                    index,
                    sysctls,
                },
            );
        }
        (removed, created)
    }

    /// Deletes every VMAC and restores the sysctls (at stop, after the VIPs are gone).
    pub async fn stop(&mut self, netlink: &Netlink) {
        for (_, active) in std::mem::take(&mut self.active) {
            delete(netlink, active).await;
        }
    }

    /// Whether `name`/`index` is a VMAC this daemon made and runs.
    pub fn is_active_link(&self, name: &str, index: u32) -> bool {
        self.active
            .values()
            .any(|a| a.name == name && a.index == index)
    }

    /// Forgets the VMAC `name` without deleting it (it is already gone); returns the
    /// sysctl values it saved, for the VMAC that replaces it.
    pub fn forget(&mut self, name: &str) -> Option<SysctlRestore> {
        let instance = self
            .active
            .iter()
            .find(|(_, a)| a.name == name)
            .map(|(instance, _)| instance.clone())?;
        self.active.remove(&instance)?.sysctls
    }

    /// Gives the VMAC `name` the originals `saved` by the one it replaces.
    pub fn adopt_sysctls(&mut self, name: &str, saved: SysctlRestore) {
        if let Some(active) = self.active.values_mut().find(|a| a.name == name) {
            match &mut active.sysctls {
                Some(own) => {
                    let newer = std::mem::take(own);
                    let mut merged = saved;
                    merged.absorb(newer);
                    *own = merged;
                }
                None => active.sysctls = Some(saved),
            }
        }
    }

    /// The interface `instance`'s adverts use: its VMAC unless `vmac_xmit_base`.
    pub fn wire_interface<'a>(&'a self, instance: &str, base: &'a str) -> &'a str {
        match self.active.get(instance) {
            Some(active) if !active.plan.xmit_base => &active.name,
            _ => base,
        }
    }

    /// The interface `instance`'s VIPs (without `dev`) and gratuitous ARPs use: its VMAC.
    /// Not its ipvlan: keepalived 2.2.7 puts the VIPs of a `use_ipvlan` instance on the
    /// instance's own interface and sends their gratuitous ARPs there (observed in the
    /// test VM; vrrp.c gives VIPs the VMAC only for `use_vmac`), and with the parent's MAC
    /// on both the ipvlan's L2 mode delivers traffic for them to the parent.
    pub fn device(&self, instance: &str) -> Option<&str> {
        self.active
            .get(instance)
            .filter(|a| !a.plan.is_ipvlan())
            .map(|a| a.name.as_str())
    }

    /// The ipvlan `instance` runs on, and the plan it was made from.
    pub fn ipvlan(&self, instance: &str) -> Option<(&str, &VmacPlan)> {
        self.active
            .get(instance)
            .filter(|a| a.plan.is_ipvlan())
            .map(|a| (a.name.as_str(), &a.plan))
    }

    /// The `use_vmac_addr` VMAC that takes `instance`'s VIPs written with `dev DEV`, if
    /// there is one.
    pub fn address_device(&self, instance: &str, dev: &str) -> Option<&str> {
        self.active
            .get(&address_key(instance, dev))
            .map(|a| a.name.as_str())
    }

    /// The engine's interface for a packet or address event on `interface`: a VMAC's
    /// parent, else `interface` itself.
    pub fn engine_interface<'a>(&'a self, interface: &'a str) -> &'a str {
        self.parent_of(interface).unwrap_or(interface)
    }

    /// The parent of `interface` if it is one of the running VMACs.
    pub fn parent_of(&self, interface: &str) -> Option<&str> {
        self.active
            .values()
            .find(|a| a.name == interface)
            .map(|a| a.plan.base.as_str())
    }

    /// Whether an advert for `vrid` received on `interface` is for the engine. A VMAC and
    /// its parent can both see one advert (a peer's, from its own MAC): the VMAC passes
    /// its own VRID only and the parent passes every other, so each advert counts once.
    pub fn accepts(&self, interface: &str, family: Family, vrid: u8) -> bool {
        if let Some(active) = self.active.values().find(|a| a.name == interface) {
            return active.plan.vrid == vrid && active.plan.family == family;
        }
        !self.active.values().any(|a| {
            !a.plan.xmit_base
                && a.plan.base == interface
                && a.plan.family == family
                && a.plan.vrid == vrid
        })
    }

    /// VMAC name → parent name and family, for the firewall's IGMP/MLD rules (macvlans only:
    /// keepalived's firewall_add_vmac is for `use_vmac`).
    pub fn parents(&self) -> BTreeMap<String, (String, VmacFamily)> {
        self.active
            .values()
            .filter(|a| !a.plan.is_ipvlan())
            .map(|a| {
                let family = match a.plan.family {
                    Family::Ipv4 => VmacFamily::Ipv4,
                    Family::Ipv6 => VmacFamily::Ipv6,
                };
                (a.name.clone(), (a.plan.base.clone(), family))
            })
            .collect()
    }
}

/// Whether a VMAC or ipvlan of `instance` (of `family`) keeps IPv6: an IPv6 instance, or
/// an IPv4 one with IPv6 excluded addresses (keepalived 2.2.7 `evip_other_family`).
pub fn keeps_ipv6(instance: &keel_conf::model::vrrp::Instance, family: Family) -> bool {
    family == Family::Ipv6
        || instance
            .virtual_ipaddress_excluded
            .iter()
            .any(|vip| vip.address.is_ipv6())
}

/// An IPv4 VMAC as keepalived 2.2.7 leaves it (seen with `ip -d link` and the sysctls):
/// `addr_gen_mode` none and `disable_ipv6` 1, so it has no IPv6 address at all. Left to
/// the kernel, every router's VMAC of a VRID would make the same link-local from the
/// shared virtual MAC and join IPv6 multicast groups with it.
fn no_ipv6(plan: &VmacPlan, name: &str) {
    set_ipv6_conf(plan, name, "addr_gen_mode", "1");
    set_ipv6_conf(plan, name, "disable_ipv6", "1");
}

/// Sets one of the IPv6 sysctls of `plan`'s link `name`; a failure is logged (the link
/// still works, with the kernel's IPv6 defaults).
pub(super) fn set_ipv6_conf(plan: &VmacPlan, name: &str, sysctl: &str, value: &str) {
    if let Err(error) = keel_sys::vmac::write_ipv6_conf(name, sysctl, value) {
        log::warn(&format!("({}) {name} IPv6 {sysctl}: {error}", plan.owner()));
    }
}

/// An IPv6 VMAC as keepalived 2.2.7 leaves it: no link-local of its own (`addr_gen_mode`
/// none; the one the kernel made when it came up is removed, since every router's VMAC
/// would make the same one from the shared MAC), and the parent's link-local added with
/// `nodad`, deprecated so the kernel never picks it for other traffic.
async fn ipv6_link_local(
    netlink: &Netlink,
    plan: &VmacPlan,
    mac: [u8; 6],
    name: &str,
    index: u32,
    link_local: Ipv6Addr,
) {
    set_ipv6_conf(plan, name, "addr_gen_mode", "1");
    let generated = AddressSpec::new(index, IpAddr::V6(eui64_link_local(mac)), 64);
    let _ = netlink.delete_address(&generated).await;
    let mut spec = AddressSpec::new(index, IpAddr::V6(link_local), 64);
    spec.options.nodad = true;
    spec.preferred_lifetime = Some(0);
    if let Err(error) = netlink.add_address(&spec).await {
        if error.netlink_errno() != Some(libc::EEXIST) {
            log::error(&format!(
                "({}) cannot add {link_local} to {name}: {error}",
                plan.owner()
            ));
        }
    }
}

/// The link-local address the kernel derives from `mac` (RFC 4291 §2.5.1, modified EUI-64).
pub fn eui64_link_local(mac: [u8; 6]) -> Ipv6Addr {
    Ipv6Addr::from([
        0xfe,
        0x80,
        0,
        0,
        0,
        0,
        0,
        0,
        mac[0] ^ 0x02,
        mac[1],
        mac[2],
        0xff,
        0xfe,
        mac[3],
        mac[4],
        mac[5],
    ])
}

/// Creates `plan`'s macvlan as `name` on `parent` with keepalived's sysctls (and, for
/// IPv6, the parent's link-local); its index and the sysctls to restore, or `None` when the
/// kernel refused it (logged).
async fn create_macvlan(
    netlink: &Netlink,
    plan: &VmacPlan,
    name: &str,
    (mac, ipv6): ([u8; 6], bool),
    parent: u32,
    existing: &BTreeMap<String, LinkInfo>,
) -> Option<(u32, Option<SysctlRestore>)> {
    // spec §3.10: `group G`, else the parent's link group.
    let group = plan
        .group
        .unwrap_or_else(|| existing.get(&plan.base).map_or(0, |link| link.group));
    let spec = MacvlanSpec {
        name: name.to_string(),
        parent,
        mac,
        link_group: (group != 0).then_some(group),
    };
    let index = match netlink.create_macvlan(&spec).await {
        Ok(index) => index,
        Err(error) => {
            log::error(&format!(
                "({}) cannot create VMAC interface {name}: {error}",
                plan.owner()
            ));
            return None;
        }
    };
    log::info(&format!(
        "({}): Success creating VMAC interface {name}",
        plan.owner()
    ));
    // spec §3.10: arp_ignore/arp_filter on the parent, accept_local, rp_filter 0.
    let sysctls = match configure_vmac_sysctls(name, &plan.base) {
        Ok(restore) => Some(restore),
        Err(error) => {
            log::warn(&format!("({}) VMAC sysctls: {error}", plan.owner()));
            None
        }
    };
    if !ipv6 {
        no_ipv6(plan, name);
    }
    if let Some(link_local) = plan.link_local {
        ipv6_link_local(netlink, plan, mac, name, index, link_local).await;
    }
    Some((index, sysctls))
}

async fn delete(netlink: &Netlink, active: Active) {
    if let Err(error) = netlink.delete_link(active.index).await {
        log::warn(&format!(
            "({}) cannot remove {} {}: {error}",
            active.plan.owner(),
            active.plan.what(),
            active.name
        ));
    } else {
        log::info(&format!(
            "({}) Removed {} interface {}",
            active.plan.owner(),
            active.plan.what(),
            active.name
        ));
    }
    if let Some(sysctls) = active.sysctls {
        if let Err(error) = sysctls.restore() {
            log::warn(&format!(
                "({}) restoring sysctls: {error}",
                active.plan.owner()
            ));
        }
    }
}

#[cfg(test)]
mod tests;
