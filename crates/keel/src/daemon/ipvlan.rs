//! `use_ipvlan` (spec §3.10): an ipvlan in mode L2 on the instance interface, which the
//! instance's adverts are sent and received on, as keepalived 2.2.7 makes it
//! (vrrp_vmac.c, `netlink_link_add_ipvlan`; each point below was checked against
//! keepalived 2.2.7 in the test VM, `crates/keel/tests/ipvlan_vm.rs`):
//!
//! * named like a VMAC: `use_ipvlan NAME`, else `<vmac_prefix>.<VRID>` with the same
//!   fallback names; an existing interface of the configured name that is not an L2 ipvlan
//!   on the instance interface makes keel ignore the name, as keepalived does ("interface X
//!   already exists and is not an l2 ipvlan; ignoring ipvlan if_name"); one that is, is
//!   taken over (keepalived: "Found matching interface");
//! * the flag `bridge` (default), `private` or `vepa`; the link group only with `group G`
//!   (keepalived 2.2.7 leaves an ipvlan in the default group whatever its parent's);
//! * it shares its parent's MAC, so there is no virtual MAC and none of a VMAC's sysctls or
//!   firewall rules; IPv6 is disabled on it for an IPv4 instance;
//! * the configured address goes on it and is the adverts' source address;
//! * VIPs stay on the instance interface ([`super::vmac::Vmacs::device`]);
//! * it exists in every state and is deleted at stop (also one taken over); down or
//!   deleted, its instance is in FAULT until it is up again or made again
//!   (`Daemon::vmac_link_event` in `run/vmacs.rs`).
//!
//! The table of running links, naming and deletion are shared with VMACs in
//! [`super::vmac`].

use std::net::IpAddr;

use keel_conf::Config;
use keel_conf::model::vrrp::IpvlanFlag as ConfFlag;
use keel_sys::netlink::{AddressSpec, IpvlanFlag, IpvlanSpec, LinkInfo, Netlink};
use keel_sys::vmac::SysctlRestore;
use keel_vrrp::InstanceConfig;

use super::log;
use super::vmac::{LinkKind, VmacPlan, vmac_prefix};

/// The ipvlan plans of a configuration (instances the engine runs only); `mapped` finds
/// the engine's configuration of an instance by name.
pub fn plans<'a>(
    config: &Config,
    mapped: impl Fn(&str) -> Option<&'a InstanceConfig>,
) -> Vec<VmacPlan> {
    let prefix = vmac_prefix(config);
    config
        .vrrp
        .instances
        .iter()
        .filter_map(|instance| {
            let ipvlan = instance.use_ipvlan.as_ref()?;
            let mapped = mapped(&instance.name)?;
            let family = mapped.family;
            let ipv6 = super::vmac::keeps_ipv6(instance, family);
            Some(VmacPlan {
                instance: instance.name.clone(),
                base: mapped.interface.clone(),
                name: ipvlan
                    .name
                    .clone()
                    .unwrap_or_else(|| keel_sys::vmac::vmac_name(&prefix, mapped.vrid)),
                named: ipvlan.name.is_some(),
                prefix: prefix.clone(),
                family,
                vrid: mapped.vrid,
                kind: LinkKind::Ipvlan {
                    flag: flag(ipvlan.flag),
                    address: ipvlan.address.map(|prefix| {
                        let full = if prefix.address.is_ipv4() { 32 } else { 128 };
                        (prefix.address, prefix.len.unwrap_or(full))
                    }),
                    ipv6,
                },
                // keepalived 2.2.7: "vmac_xmit_base is only valid with a vmac".
                xmit_base: false,
                link_local: None,
                group: ipvlan.group,
                // vrrp_config: `dont_track_primary` tracks neither the interface nor its ipvlan.
                tracked: !instance.dont_track_primary,
            })
        })
        .collect()
}

/// The kernel's flag for the configuration's word.
pub fn flag(flag: ConfFlag) -> IpvlanFlag {
    match flag {
        ConfFlag::Bridge => IpvlanFlag::Bridge,
        ConfFlag::Private => IpvlanFlag::Private,
        ConfFlag::Vepa => IpvlanFlag::Vepa,
    }
}

/// Whether `link` is an ipvlan keel may take over for an instance on `parent`: mode L2 and
/// on that parent (keepalived 2.2.7 takes over an existing L2 ipvlan of the name, and
/// refuses the name of any other interface).
pub fn reusable(link: &LinkInfo, parent: u32) -> bool {
    link.ipvlan.is_some_and(|state| state.l2) && link.parent == Some(parent)
}

/// Makes `plan`'s ipvlan `name` on `parent` — or takes over `existing` when it is
/// [`reusable`] — with IPv6 off unless wanted, up, with its address; returns its index
/// (no sysctls to restore), or `None` when the kernel refused it (logged).
pub(super) async fn create(
    netlink: &Netlink,
    plan: &VmacPlan,
    name: &str,
    parent: u32,
    existing: Option<&LinkInfo>,
) -> Option<(u32, Option<SysctlRestore>)> {
    let LinkKind::Ipvlan {
        flag,
        address,
        ipv6,
    } = plan.kind
    else {
        return None;
    };
    let index = match existing.filter(|link| reusable(link, parent)) {
        Some(link) => {
            if let Err(error) = netlink.set_ipvlan(link.index, flag).await {
                log::warn(&format!(
                    "({}) cannot set the flag of ipvlan {name}: {error}",
                    plan.owner()
                ));
            }
            log::info(&format!(
                "({}) Found matching interface {name}",
                plan.owner()
            ));
            link.index
        }
        None => {
            let spec = IpvlanSpec {
                name: name.to_string(),
                parent,
                flag,
                link_group: plan.group,
            };
            match netlink.create_ipvlan(&spec).await {
                Ok(index) => {
                    log::info(&format!(
                        "({}): Success creating ipvlan interface {name}",
                        plan.owner()
                    ));
                    index
                }
                Err(error) => {
                    log::error(&format!(
                        "({}): Unable to create ipvlan interface {name}: {error}",
                        plan.owner()
                    ));
                    return None;
                }
            }
        }
    };
    // keepalived 2.2.7 (`link_set_ipv6`): no IPv6 on an IPv4 instance's ipvlan, and IPv6
    // on for an IPv6 one even where `default.disable_ipv6` is set.
    super::vmac::set_ipv6_conf(plan, name, "disable_ipv6", if ipv6 { "0" } else { "1" });
    if let Err(error) = netlink.set_link_up(index, true).await {
        log::error(&format!("({}) cannot set {name} up: {error}", plan.owner()));
    }
    if let Some((address, prefix_len)) = address {
        add_address(netlink, plan, name, index, address, prefix_len).await;
    }
    Some((index, None))
}

/// Puts the configured address on the ipvlan (an IPv6 one without DAD, as keepalived adds
/// its addresses, so adverts can leave from it at once).
async fn add_address(
    netlink: &Netlink,
    plan: &VmacPlan,
    name: &str,
    index: u32,
    address: IpAddr,
    prefix_len: u8,
) {
    let mut spec = AddressSpec::new(index, address, prefix_len);
    spec.options.nodad = address.is_ipv6();
    match netlink.add_address(&spec).await {
        Ok(()) => {}
        Err(error) if error.netlink_errno() == Some(libc::EEXIST) => {}
        Err(error) => log::error(&format!(
            "{}: Failed to add interface address to {name}: {error}",
            plan.owner()
        )),
    }
}

#[cfg(test)]
mod tests {
    use keel_sys::netlink::IpvlanState;

    use super::*;

    fn parse(text: &str) -> Config {
        let fs = keel_conf::memfs::MemoryFs::new().with_file("/k.conf", text);
        let host = keel_conf::memfs::FakeHost::new().with_interface("e0");
        keel_conf::load(
            &fs,
            &host,
            std::path::Path::new("/k.conf"),
            &keel_conf::preprocess::PreprocessOptions::default(),
        )
        .config
    }

    fn link(parent: Option<u32>, ipvlan: Option<IpvlanState>) -> LinkInfo {
        LinkInfo {
            index: 9,
            name: "ipvl0".into(),
            admin_up: true,
            running: true,
            mac: Some([2, 0, 0, 0, 0, 1]),
            parent,
            group: 0,
            ipvlan,
        }
    }

    // Input: VI_1 `use_ipvlan ipvl0 10.0.0.50/24 private group 9`, VI_2 `use_ipvlan
    // 10.0.0.60 vepa` (VRID 52) with an IPv6 excluded address, VI_3 `use_vmac` and
    // `use_ipvlan` both, VI_4 nothing; vmac_prefix kv.
    // Output: ipvlan plans for VI_1 (ipvl0, private, group 9, /24, IPv6 off), VI_2 (kv.52,
    // vepa, /32, IPv6 on for the excluded address) and VI_3 (kv.53, the ipvlan wins as in
    // keepalived 2.2.7); VMAC plans for none of them; sources are the ipvlan addresses.
    #[test]
    fn plans_from_configuration() {
        let text = "global_defs {\n vmac_prefix kv\n}\n\
            vrrp_instance VI_1 {\n interface e0\n virtual_router_id 51\n use_ipvlan ipvl0 10.0.0.50/24 private group 9\n virtual_ipaddress {\n  10.0.0.1\n }\n}\n\
            vrrp_instance VI_2 {\n interface e0\n virtual_router_id 52\n use_ipvlan 10.0.0.60 vepa\n virtual_ipaddress {\n  10.0.0.2\n }\n virtual_ipaddress_excluded {\n  fd00::2\n }\n}\n\
            vrrp_instance VI_3 {\n interface e0\n virtual_router_id 53\n use_vmac\n use_ipvlan 10.0.0.70/24\n virtual_ipaddress {\n  10.0.0.3\n }\n}\n\
            vrrp_instance VI_4 {\n interface e0\n virtual_router_id 54\n virtual_ipaddress {\n  10.0.0.4\n }\n}\n";
        let config = parse(text);
        let mapped = crate::vrrp_config::map_from_one_address(&config);
        let find = |name: &str| mapped.router.instances.iter().find(|i| i.name == name);
        let plans = plans(&config, find);
        let summary: Vec<_> = plans
            .iter()
            .map(|p| {
                (
                    p.instance.as_str(),
                    p.name.as_str(),
                    p.named,
                    p.group,
                    &p.kind,
                )
            })
            .collect();
        let ipv4 = |text: &str, len| Some((text.parse::<IpAddr>().unwrap(), len));
        assert_eq!(
            summary,
            [
                (
                    "VI_1",
                    "ipvl0",
                    true,
                    Some(9),
                    &LinkKind::Ipvlan {
                        flag: IpvlanFlag::Private,
                        address: ipv4("10.0.0.50", 24),
                        ipv6: false
                    }
                ),
                (
                    "VI_2",
                    "kv.52",
                    false,
                    None,
                    &LinkKind::Ipvlan {
                        flag: IpvlanFlag::Vepa,
                        address: ipv4("10.0.0.60", 32),
                        ipv6: true
                    }
                ),
                (
                    "VI_3",
                    "kv.53",
                    false,
                    None,
                    &LinkKind::Ipvlan {
                        flag: IpvlanFlag::Bridge,
                        address: ipv4("10.0.0.70", 24),
                        ipv6: false
                    }
                ),
            ]
        );
        assert!(plans.iter().all(|p| !p.xmit_base));
        assert!(super::super::vmac::plans(&config, find).is_empty());
        let sources: Vec<String> = mapped
            .router
            .instances
            .iter()
            .map(|i| i.primary_address.to_string())
            .collect();
        assert_eq!(sources, ["10.0.0.50", "10.0.0.60", "10.0.0.70", "10.0.0.9"]);
    }

    // Input: an L2 ipvlan on parent 4, the same on parent 5, an L3 ipvlan on 4, a macvlan
    // (no ipvlan state) on 4.
    // Output: only the first may be taken over for an instance on interface 4.
    #[test]
    fn only_an_l2_ipvlan_on_the_parent_is_taken_over() {
        let l2 = Some(IpvlanState {
            l2: true,
            flag: Some(IpvlanFlag::Bridge),
        });
        let l3 = Some(IpvlanState {
            l2: false,
            flag: Some(IpvlanFlag::Bridge),
        });
        assert!(reusable(&link(Some(4), l2), 4));
        assert!(!reusable(&link(Some(5), l2), 4));
        assert!(!reusable(&link(Some(4), l3), 4));
        assert!(!reusable(&link(Some(4), None), 4));
    }

    // Input: an IPv4 instance `use_ipvlan` without an address; `mcast_src_ip` with an
    // ipvlan address.
    // Output: the first is held in FAULT by a failed weight-0 tracker (keepalived 2.2.7:
    // "setting instance to fault state") and advertises from the interface's address; the
    // second advertises from mcast_src_ip (it always wins) and has no such tracker. Both
    // have their ipvlan's link tracker (FAULT while it is down), which starts up.
    #[test]
    fn ipv4_without_an_address_is_held_in_fault() {
        let text = "vrrp_instance VI_1 {\n interface e0\n virtual_router_id 51\n use_ipvlan\n virtual_ipaddress {\n  10.0.0.1\n }\n}\n\
            vrrp_instance VI_2 {\n interface e0\n virtual_router_id 52\n use_ipvlan 10.0.0.60/24\n mcast_src_ip 10.0.0.7\n virtual_ipaddress {\n  10.0.0.2\n }\n}\n";
        let config = parse(text);
        let mapped = crate::vrrp_config::map_from_one_address(&config);
        let ids = |instance: &InstanceConfig| -> Vec<String> {
            instance.trackers.iter().map(|t| t.id.0.clone()).collect()
        };
        let vi1 = &mapped.router.instances[0];
        assert_eq!(
            ids(vi1),
            ["ipvlan-without-address:VI_1", "vmac-link:VI_1"],
            "{:?}",
            vi1.trackers
        );
        assert!(vi1.trackers.iter().all(|t| t.weight == 0));
        assert!(matches!(
            vi1.trackers[0].kind,
            keel_vrrp::TrackerKind::Script {
                init_fail: true,
                ..
            }
        ));
        assert_eq!(vi1.trackers[1].kind, keel_vrrp::TrackerKind::State);
        assert_eq!(vi1.primary_address.to_string(), "10.0.0.9");
        let vi2 = &mapped.router.instances[1];
        assert_eq!(ids(vi2), ["vmac-link:VI_2"], "{:?}", vi2.trackers);
        assert_eq!(vi2.primary_address.to_string(), "10.0.0.7");
    }
}
