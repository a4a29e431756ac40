//! VMAC names, leftovers, MACs and plans (spec §3.10).

use super::*;

fn parse(text: &str) -> Config {
    let fs = keel_conf::memfs::MemoryFs::new().with_file("/k.conf", text);
    let host = keel_conf::memfs::FakeHost::new().with_interface("e0");
    let loaded = keel_conf::load(
        &fs,
        &host,
        std::path::Path::new("/k.conf"),
        &keel_conf::preprocess::PreprocessOptions::default(),
    );
    loaded.config
}

fn link(name: &str, mac: [u8; 6], parent: Option<u32>) -> LinkInfo {
    LinkInfo {
        index: 7,
        name: name.into(),
        admin_up: true,
        running: true,
        mac: Some(mac),
        parent,
        group: 0,
        ipvlan: None,
    }
}

fn plan(name: &str, named: bool, family: Family) -> VmacPlan {
    VmacPlan {
        instance: "VI_1".into(),
        base: "e0".into(),
        name: name.into(),
        named,
        prefix: "vrrp".into(),
        family,
        vrid: 51,
        kind: LinkKind::Macvlan {
            mac: [0, 0, 0x5e, 0, 1, 51],
            ipv6: family == Family::Ipv6,
        },
        xmit_base: false,
        link_local: None,
        group: None,
        tracked: true,
    }
}

// Input: VRID 51's default name vrrp.51, free, then taken (by a veth, say), then
// vrrp.51 and vrrp1.51 both taken.
// Output: vrrp.51, then vrrp1.51, then vrrp2.51 (keepalived's order for IPv4).
#[test]
fn ipv4_default_name_falls_back_to_numbered_names() {
    let p = plan("vrrp.51", false, Family::Ipv4);
    assert_eq!(free_name(&p, |_| false).as_deref(), Some("vrrp.51"));
    assert_eq!(
        free_name(&p, |n| n == "vrrp.51").as_deref(),
        Some("vrrp1.51")
    );
    assert_eq!(
        free_name(&p, |n| n == "vrrp.51" || n == "vrrp1.51").as_deref(),
        Some("vrrp2.51")
    );
}

// Input: an IPv6 instance of VRID 51 whose vrrp.51 is taken (the IPv4 instance of the
// same VRID has it); then vrrp6.51 taken too; then vrrp1..5.51 taken as well.
// Output: vrrp6.51 first, then vrrp1.51, and after vrrp5.51 it skips 6: vrrp7.51.
#[test]
fn ipv6_tries_vrrp6_first_and_never_twice() {
    let p = plan("vrrp.51", false, Family::Ipv6);
    assert_eq!(
        free_name(&p, |n| n == "vrrp.51").as_deref(),
        Some("vrrp6.51")
    );
    assert_eq!(
        free_name(&p, |n| n == "vrrp.51" || n == "vrrp6.51").as_deref(),
        Some("vrrp1.51")
    );
    let taken = |n: &str| {
        n == "vrrp.51"
            || (n.starts_with("vrrp") && n.ends_with(".51") && n.len() == 8)
                && n.as_bytes()[4] <= b'6'
    };
    assert_eq!(free_name(&p, taken).as_deref(), Some("vrrp7.51"));
}

// Input: `use_vmac vmac1` where an interface vmac1 already exists; then also vrrp.51.
// Output: the configured name is ignored for the default, vrrp.51; then vrrp1.51.
#[test]
fn a_taken_configured_name_is_ignored() {
    let p = plan("vmac1", true, Family::Ipv4);
    assert_eq!(free_name(&p, |n| n == "vmac1").as_deref(), Some("vrrp.51"));
    assert_eq!(
        free_name(&p, |n| n == "vmac1" || n == "vrrp.51").as_deref(),
        Some("vrrp1.51")
    );
}

// Input: every candidate name taken.
// Output: none (the numbered names stop at 15 characters), no endless search.
#[test]
fn no_free_name_ends_the_search() {
    let p = plan("vrrp.51", false, Family::Ipv4);
    assert_eq!(free_name(&p, |_| true), None);
}

// Input: the IPv6 VMAC MAC of VRID 51.
// Output: the address `ip` shows the kernel giving it, fe80::200:5eff:fe00:233.
#[test]
fn kernel_link_local_of_a_vmac() {
    assert_eq!(
        eui64_link_local([0, 0, 0x5e, 0, 2, 0x33]),
        "fe80::200:5eff:fe00:233".parse::<Ipv6Addr>().unwrap()
    );
}

// Input: `use_vmac 02:11:22:33:44` for VRID 51, `use_vmac 02:11:22:33:44:55`, junk.
// Output: the VRID appended to five octets (spec §3.10), six kept, junk refused.
#[test]
fn configured_macs() {
    assert_eq!(
        parse_mac("02:11:22:33:44", 51),
        Some([2, 0x11, 0x22, 0x33, 0x44, 51])
    );
    assert_eq!(
        parse_mac("02:11:22:33:44:55", 51),
        Some([2, 0x11, 0x22, 0x33, 0x44, 0x55])
    );
    assert_eq!(parse_mac("02:11:zz:33:44", 51), None);
    assert_eq!(parse_mac("02:11", 51), None);
}

// Input: links after a crash: vrrp.51 and vrrp1.51 (VMACs), a veth named vrrp.52 with
// its own MAC, an interface vip0 with a virtual MAC but no parent, and a configured
// name `vmac51`.
// Output: only the VMAC-shaped links (virtual MAC, a parent, keepalived's names or a
// configured one) are leftovers.
#[test]
fn leftovers_are_only_vmac_shaped_links() {
    let vmac = [0, 0, 0x5e, 0, 1, 51];
    let configured = vec!["vmac51".to_string()];
    assert!(is_vmac_leftover(
        &link("vrrp.51", vmac, Some(2)),
        "vrrp",
        &configured
    ));
    assert!(is_vmac_leftover(
        &link("vrrp1.51", vmac, Some(2)),
        "vrrp",
        &configured
    ));
    assert!(is_vmac_leftover(
        &link("vmac51", vmac, Some(2)),
        "vrrp",
        &configured
    ));
    assert!(!is_vmac_leftover(
        &link("vrrp.52", [2, 1, 2, 3, 4, 5], Some(2)),
        "vrrp",
        &configured
    ));
    assert!(!is_vmac_leftover(
        &link("vip0", vmac, None),
        "vrrp",
        &configured
    ));
    assert!(!is_vmac_leftover(
        &link("vrrpx.51", vmac, Some(2)),
        "vrrp",
        &configured
    ));
    assert!(!is_vmac_leftover(
        &link("other", vmac, Some(2)),
        "vrrp",
        &configured
    ));
}

// Input: an IPv4 instance VI_1 (VRID 51, e0) with use_vmac, VI_2 (VRID 52) with
// `use_vmac vm52 02:00:00:00:01` and vmac_xmit_base, VI_3 without; vmac_prefix kv.
// Output: plans for VI_1 (kv.51, 00:00:5e:00:01:33) and VI_2 (vm52, 02:00:00:00:01:34,
// sent from e0); the wire interface and the advert filter follow them.
#[test]
fn plans_from_configuration() {
    let text = "global_defs {\n vmac_prefix kv\n}\n\
        vrrp_instance VI_1 {\n interface e0\n virtual_router_id 51\n use_vmac\n virtual_ipaddress {\n  10.0.0.1\n }\n}\n\
        vrrp_instance VI_2 {\n interface e0\n virtual_router_id 52\n use_vmac vm52 02:00:00:00:01\n vmac_xmit_base\n virtual_ipaddress {\n  10.0.0.2\n }\n}\n\
        vrrp_instance VI_3 {\n interface e0\n virtual_router_id 53\n virtual_ipaddress {\n  10.0.0.3\n }\n}\n";
    let config = parse(text);
    let mapped = crate::vrrp_config::map_from_one_address(&config);
    let plans = plans(&config, |name| {
        mapped.router.instances.iter().find(|i| i.name == name)
    });
    assert_eq!(plans.len(), 2, "{plans:?}");
    assert_eq!(plans[0].name, "kv.51");
    assert_eq!(plans[0].mac(), Some([0, 0, 0x5e, 0, 1, 51]));
    assert!(!plans[0].xmit_base);
    assert_eq!(plans[1].name, "vm52");
    assert_eq!(plans[1].mac(), Some([2, 0, 0, 0, 1, 52]));
    assert!(plans[1].xmit_base);

    let mut vmacs = Vmacs::default();
    for (index, plan) in plans.iter().enumerate() {
        vmacs.active.insert(
            plan.instance.clone(),
            Active {
                plan: plan.clone(),
                name: plan.name.clone(),
                index: 10 + index as u32,
                sysctls: None,
            },
        );
    }
    assert_eq!(vmacs.wire_interface("VI_1", "e0"), "kv.51");
    assert_eq!(vmacs.wire_interface("VI_2", "e0"), "e0");
    assert_eq!(vmacs.wire_interface("VI_3", "e0"), "e0");
    assert_eq!(vmacs.device("VI_2"), Some("vm52"));
    assert_eq!(vmacs.engine_interface("kv.51"), "e0");
    // VRID 51 counts from kv.51 only; VRID 52 (sent from the base) and 53 from e0.
    assert!(vmacs.accepts("kv.51", Family::Ipv4, 51));
    assert!(!vmacs.accepts("kv.51", Family::Ipv4, 53));
    assert!(!vmacs.accepts("e0", Family::Ipv4, 51));
    assert!(vmacs.accepts("e0", Family::Ipv4, 52));
    assert!(vmacs.accepts("e0", Family::Ipv4, 53));
}

// Input: VI_1 (VRID 53, e0) with use_vmac and use_vmac_addr, VIPs 10.0.0.1, 10.0.1.1 dev
// x1, 10.0.1.2 dev x1 no_track, 10.0.2.1 dev x2 no_track; VI_2 (VRID 54) with use_vmac,
// dont_track_primary and use_vmac_addr, VIP 10.0.3.1 dev x1 no_track. Then VI_1's links go
// down and up one by one, and VI_2's go down.
// Output (spec §3.10, keepalived 2.2.7 tracks a VIP's interface unless `no_track`): VI_1's
// own VMAC and its x1 VMAC are tracked, its x2 VMAC is not; none of VI_2's is. VI_1 is
// reported down when its x1 VMAC goes down, stays down while its own VMAC is down too, and
// is reported up once both are up; x2 and VI_2's links change nothing. The engine tracks
// VI_1's links, not VI_2's.
#[test]
fn use_vmac_addr_vmacs_are_tracked_unless_all_their_vips_are_no_track() {
    let text = "vrrp_instance VI_1 {\n interface e0\n virtual_router_id 53\n use_vmac\n use_vmac_addr\n \
        virtual_ipaddress {\n  10.0.0.1\n  10.0.1.1/24 dev x1\n  10.0.1.2/24 dev x1 no_track\n  \
        10.0.2.1/24 dev x2 no_track\n }\n}\n\
        vrrp_instance VI_2 {\n interface e0\n virtual_router_id 54\n use_vmac\n dont_track_primary\n \
        use_vmac_addr\n virtual_ipaddress {\n  10.0.0.2\n  10.0.3.1/24 dev x1 no_track\n }\n}\n";
    let fs = keel_conf::memfs::MemoryFs::new().with_file("/k.conf", text);
    let host = keel_conf::memfs::FakeHost::new()
        .with_interface("e0")
        .with_interface("x1")
        .with_interface("x2");
    let config = keel_conf::load(
        &fs,
        &host,
        std::path::Path::new("/k.conf"),
        &keel_conf::preprocess::PreprocessOptions::default(),
    )
    .config;
    let mapped = crate::vrrp_config::map_from_one_address(&config);
    let find = |name: &str| mapped.router.instances.iter().find(|i| i.name == name);
    let mut all = plans(&config, find);
    all.extend(address_plans(&config, find));
    let tracked: Vec<(&str, &str, bool)> = all
        .iter()
        .map(|p| (p.instance.as_str(), p.base.as_str(), p.tracked))
        .collect();
    assert_eq!(
        tracked,
        [
            ("VI_1", "e0", true),
            ("VI_2", "e0", false),
            ("VI_1 x1", "x1", true),
            ("VI_1 x2", "x2", false),
            ("VI_2 x1", "x1", false),
        ]
    );
    let trackers = |name: &str| find(name).map(|i| i.trackers.len());
    assert_eq!((trackers("VI_1"), trackers("VI_2")), (Some(1), Some(0)));

    let mut vmacs = Vmacs::default();
    for (index, plan) in all.iter().enumerate() {
        vmacs.active.insert(
            plan.instance.clone(),
            Active {
                plan: plan.clone(),
                name: format!("link{index}"),
                index: 10 + index as u32,
                sysctls: None,
            },
        );
    }
    let mut reports = |down: &[&str]| vmacs.link_reports(|name, _| !down.contains(&name));
    let none: [(String, bool); 0] = [];
    assert_eq!(reports(&[]), none);
    assert_eq!(reports(&["link3", "link1", "link4"]), none);
    assert_eq!(reports(&["link2"]), [("VI_1".to_string(), false)]);
    assert_eq!(reports(&["link0"]), none);
    assert_eq!(reports(&[]), [("VI_1".to_string(), true)]);
}
