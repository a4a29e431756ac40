//! rtnetlink adapters judged by `ip -n NS …` (needs root).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use keel_lab::{Lab, Netns};
use keel_sys::netlink::Netlink;
use keel_sys::netlink::{
    AddressOptions, AddressScope, AddressSpec, NetEvent, NetlinkMonitor, NextHop, RouteKind,
    RouteScope, RouteSpec, RuleAction, RuleSpec,
};
use keel_sys::vmac::{VmacFamily, configure_vmac_sysctls, create_vmac, read_conf, vmac_address};

fn one_host(prefix: &str) -> Lab {
    let mut lab = Lab::new(prefix);
    lab.add_host();
    lab
}

fn netlink_in(ns: &Netns) -> Netlink {
    let handle = tokio::runtime::Handle::current();
    ns.run_in(move || {
        let _runtime = handle.enter();
        Netlink::open().expect("open netlink")
    })
}

fn v4(text: &str) -> IpAddr {
    IpAddr::V4(text.parse::<Ipv4Addr>().unwrap())
}

fn v6(text: &str) -> IpAddr {
    IpAddr::V6(text.parse::<Ipv6Addr>().unwrap())
}

/// `ip -o addr show dev e0` as one line per address.
fn addresses_shown(ns: &Netns) -> String {
    ns.ip(&["-o", "addr", "show", "dev", "e0"])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vip_options_are_applied_listed_and_removed() {
    let lab = one_host("kaddr");
    let ns = &lab.host(0).ns;
    let netlink = netlink_in(ns);
    let e0 = ns.ifindex("e0");

    // Input: virtual_ipaddress entries with every option keepalived accepts.
    let mut labelled = AddressSpec::new(e0, v4("10.88.0.10"), 24);
    labelled.broadcast = Some("10.88.0.255".parse().unwrap());
    labelled.label = Some("e0:vip".to_string());
    let mut host_scoped = AddressSpec::new(e0, v4("10.88.2.1"), 32);
    host_scoped.scope = AddressScope::Host;
    let mut point_to_point = AddressSpec::new(e0, v4("10.88.1.1"), 32);
    point_to_point.peer = Some(v4("10.88.1.2"));
    let mut nodad = AddressSpec::new(e0, v6("fd88::10"), 64);
    nodad.options = AddressOptions {
        nodad: true,
        noprefixroute: true,
        ..AddressOptions::default()
    };
    let mut home = AddressSpec::new(e0, v6("fd89::20"), 64);
    home.options = AddressOptions {
        nodad: true,
        home: true,
        mngtmpaddr: true,
        ..AddressOptions::default()
    };
    let mut deprecated = AddressSpec::new(e0, v6("fd8a::30"), 64);
    deprecated.options.nodad = true;
    deprecated.preferred_lifetime = Some(0);
    let mut autojoin = AddressSpec::new(e0, v4("239.1.1.1"), 32);
    autojoin.options.autojoin = true;
    let all = [
        &labelled,
        &host_scoped,
        &point_to_point,
        &nodad,
        &home,
        &deprecated,
        &autojoin,
    ];
    for spec in all {
        netlink.add_address(spec).await.expect("add address");
    }

    // Output: `ip addr` shows each with its options.
    let shown = addresses_shown(ns);
    for expected in [
        "inet 10.88.0.10/24 brd 10.88.0.255 scope global e0:vip",
        "inet 10.88.2.1/32 scope host e0",
        "inet 10.88.1.1 peer 10.88.1.2/32 scope global e0",
        "inet6 fd88::10/64 scope global nodad noprefixroute",
        "inet6 fd89::20/64 scope global nodad home mngtmpaddr",
        "inet 239.1.1.1/32 scope global autojoin e0",
    ] {
        assert!(
            shown.contains(expected),
            "missing {expected:?} in:\n{shown}"
        );
    }
    let deprecated_line = shown
        .lines()
        .find(|l| l.contains("fd8a::30/64"))
        .expect("fd8a::30 present");
    assert!(deprecated_line.contains("deprecated"), "{deprecated_line}");
    assert!(
        deprecated_line.contains("preferred_lft 0sec"),
        "{deprecated_line}"
    );
    // noprefixroute: fd88::10/64 brings no fd88::/64 route, while fd89::20/64 does.
    let routes = ns.ip(&["-6", "route", "show", "dev", "e0"]);
    assert!(!routes.contains("fd88::/64"), "{routes}");
    assert!(routes.contains("fd89::/64"), "{routes}");

    // Input: list e0's addresses.  Output: the specs come back as added.
    let listed = netlink.addresses(Some(e0)).await.expect("list");
    for spec in [&labelled, &host_scoped, &point_to_point, &nodad, &home] {
        assert!(
            listed.iter().any(|got| got == spec),
            "{spec:?} not listed as added; listed: {listed:#?}"
        );
    }
    let got = listed
        .iter()
        .find(|got| got.address == deprecated.address)
        .unwrap();
    assert_eq!(got.preferred_lifetime, Some(0));

    // Input: add the same VIP again.  Output: EEXIST, which the daemon treats as present.
    let again = netlink.add_address(&labelled).await.unwrap_err();
    assert_eq!(again.netlink_errno(), Some(libc::EEXIST), "{again}");

    // Input: delete every VIP.  Output: none is left on e0; a second delete fails.
    for spec in all {
        netlink.delete_address(spec).await.expect("delete address");
    }
    let shown = addresses_shown(ns);
    for gone in ["10.88.", "fd88::", "fd89::", "fd8a::", "239.1.1.1"] {
        assert!(!shown.contains(gone), "{gone} still present:\n{shown}");
    }
    assert!(netlink.delete_address(&labelled).await.is_err());

    // Input: a prefix length that cannot exist.  Output: an error value, nothing sent.
    let bad = AddressSpec::new(e0, v4("10.88.0.1"), 33);
    assert!(matches!(
        netlink.add_address(&bad).await,
        Err(keel_sys::Error::InvalidArgument(_))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn routes_of_every_kind_are_added_and_deleted() {
    let lab = one_host("kroute");
    let ns = &lab.host(0).ns;
    lab.host(0).add_address("10.88.0.1/24");
    lab.host(0).add_address("fd88::1/64");
    let netlink = netlink_in(ns);
    let e0 = ns.ifindex("e0");

    // Input: virtual_routes with gateway/table/metric/protocol, src, multipath, the four
    // discard types, a table above 255 and an IPv6 route.
    let mut via = RouteSpec::new(v4("10.99.0.0"), 16);
    via.gateway = Some(v4("10.88.0.254"));
    via.ifindex = Some(e0);
    via.table = 100;
    via.metric = Some(50);
    via.protocol = Some(18);
    let mut with_source = RouteSpec::new(v4("10.97.0.0"), 16);
    with_source.ifindex = Some(e0);
    with_source.source = Some(v4("10.88.0.1"));
    with_source.table = 100;
    let mut multipath = RouteSpec::new(v4("10.96.0.0"), 16);
    multipath.table = 100;
    multipath.nexthops = vec![
        NextHop {
            gateway: Some(v4("10.88.0.253")),
            ifindex: Some(e0),
            weight: 1,
        },
        NextHop {
            gateway: Some(v4("10.88.0.252")),
            ifindex: Some(e0),
            weight: 2,
        },
    ];
    let discard = |destination: &str, kind| {
        let mut spec = RouteSpec::new(v4(destination), 16);
        spec.kind = kind;
        spec.table = 100;
        spec
    };
    let blackhole = discard("10.95.0.0", RouteKind::Blackhole);
    let unreachable = discard("10.94.0.0", RouteKind::Unreachable);
    let prohibit = discard("10.93.0.0", RouteKind::Prohibit);
    let throw = discard("10.92.0.0", RouteKind::Throw);
    let mut big_table = RouteSpec::new(v4("0.0.0.0"), 0);
    big_table.gateway = Some(v4("10.88.0.254"));
    big_table.table = 1000;
    let mut host_scope = RouteSpec::new(v4("10.91.0.0"), 16);
    host_scope.ifindex = Some(e0);
    host_scope.table = 100;
    host_scope.scope = Some(RouteScope::Host);
    let mut ipv6 = RouteSpec::new(v6("fd99::"), 64);
    ipv6.gateway = Some(v6("fd88::fe"));
    ipv6.ifindex = Some(e0);
    ipv6.table = 100;
    let all = [
        &via,
        &with_source,
        &multipath,
        &blackhole,
        &unreachable,
        &prohibit,
        &throw,
        &big_table,
        &ipv6,
        &host_scope,
    ];
    for spec in all {
        netlink.add_route(spec).await.expect("add route");
    }

    // Output: `ip route show table 100` (and 1000, and -6) lists each as configured.
    let table_100 = ns.ip(&["route", "show", "table", "100"]);
    for expected in [
        "10.99.0.0/16 via 10.88.0.254 dev e0 proto keepalived metric 50",
        "10.97.0.0/16 dev e0 scope link src 10.88.0.1",
        "10.96.0.0/16 \n\tnexthop",
        "nexthop via 10.88.0.253 dev e0 weight 1",
        "nexthop via 10.88.0.252 dev e0 weight 2",
        "blackhole 10.95.0.0/16",
        "unreachable 10.94.0.0/16",
        "prohibit 10.93.0.0/16",
        "throw 10.92.0.0/16",
        "10.91.0.0/16 dev e0 scope host",
    ] {
        assert!(
            table_100.contains(expected),
            "missing {expected:?} in:\n{table_100}"
        );
    }
    let table_1000 = ns.ip(&["route", "show", "table", "1000"]);
    assert!(
        table_1000.contains("default via 10.88.0.254 dev e0"),
        "{table_1000}"
    );
    let ipv6_routes = ns.ip(&["-6", "route", "show", "table", "100"]);
    assert!(
        ipv6_routes.contains("fd99::/64 via fd88::fe dev e0 metric 1024"),
        "{ipv6_routes}"
    );

    // Input: delete them all.  Output: the tables are empty; deleting again fails.
    for spec in all {
        netlink.delete_route(spec).await.expect("delete route");
    }
    assert_eq!(ns.ip(&["route", "show", "table", "100"]).trim(), "");
    assert_eq!(ns.ip(&["route", "show", "table", "1000"]).trim(), "");
    assert_eq!(ns.ip(&["-6", "route", "show", "table", "100"]).trim(), "");
    assert!(netlink.delete_route(&via).await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rules_with_every_selector_and_action_are_added_and_deleted() {
    let lab = one_host("krule");
    let ns = &lab.host(0).ns;
    let netlink = netlink_in(ns);

    // Input: virtual_rules using from, to, iif, oif, fwmark/mask, preference and each action.
    let mut from = RuleSpec::new(RuleAction::Table(100));
    from.from = Some((v4("10.88.0.0"), 24));
    from.priority = Some(1000);
    let mut to_marked = RuleSpec::new(RuleAction::Table(100));
    to_marked.to = Some((v4("10.99.0.0"), 16));
    to_marked.fwmark = Some(0x10);
    to_marked.fwmask = Some(0xff);
    to_marked.iif = Some("e0".to_string());
    to_marked.priority = Some(1001);
    // The kernel only lets a rule jump forward: goto targets a higher preference.
    let mut oif_goto = RuleSpec::new(RuleAction::Goto(1000));
    oif_goto.oif = Some("e0".to_string());
    oif_goto.priority = Some(999);
    let with_action = |priority, action| {
        let mut spec = RuleSpec::new(action);
        spec.fwmark = Some(5);
        spec.priority = Some(priority);
        spec
    };
    let blackhole = with_action(1003, RuleAction::Blackhole);
    let unreachable = with_action(1004, RuleAction::Unreachable);
    let prohibit = with_action(1005, RuleAction::Prohibit);
    let nop = with_action(1006, RuleAction::Nop);
    let mut big_table = RuleSpec::new(RuleAction::Table(1000));
    big_table.from = Some((v4("10.77.0.0"), 16));
    big_table.priority = Some(1007);
    let mut ipv6 = RuleSpec::new(RuleAction::Table(200));
    ipv6.from = Some((v6("fd88::"), 64));
    ipv6.priority = Some(2000);
    let all = [
        &from,
        &to_marked,
        &oif_goto,
        &blackhole,
        &unreachable,
        &prohibit,
        &nop,
        &big_table,
        &ipv6,
    ];
    for spec in all {
        netlink
            .add_rule(spec)
            .await
            .unwrap_or_else(|e| panic!("add rule {spec:?}: {e}"));
    }

    // Output: `ip rule` / `ip -6 rule` show each.
    let rules = ns.ip(&["rule", "show"]);
    for expected in [
        "1000:\tfrom 10.88.0.0/24 lookup 100",
        "1001:\tfrom all to 10.99.0.0/16 fwmark 0x10/0xff iif e0 lookup 100",
        "999:\tfrom all oif e0 goto 1000",
        "1003:\tfrom all fwmark 0x5 blackhole",
        "1004:\tfrom all fwmark 0x5 unreachable",
        "1005:\tfrom all fwmark 0x5 prohibit",
        "1006:\tfrom all fwmark 0x5 nop",
        "1007:\tfrom 10.77.0.0/16 lookup 1000",
    ] {
        assert!(
            rules.contains(expected),
            "missing {expected:?} in:\n{rules}"
        );
    }
    let rules_v6 = ns.ip(&["-6", "rule", "show"]);
    assert!(
        rules_v6.contains("2000:\tfrom fd88::/64 lookup 200"),
        "{rules_v6}"
    );

    // Input: delete them.  Output: only the kernel's default rules remain.
    for spec in all {
        netlink.delete_rule(spec).await.expect("delete rule");
    }
    let rules = ns.ip(&["rule", "show"]);
    assert_eq!(rules.lines().count(), 3, "{rules}");
    let rules_v6 = ns.ip(&["-6", "rule", "show"]);
    assert_eq!(rules_v6.lines().count(), 2, "{rules_v6}");
    assert!(netlink.delete_rule(&from).await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vmac_is_a_private_macvlan_with_keepalived_sysctls_restored_at_exit() {
    let lab = one_host("kvmac");
    let ns = &lab.host(0).ns;
    let netlink = netlink_in(ns);
    let e0 = ns.ifindex("e0");
    ns.sh("sysctl -qw net.ipv4.conf.all.rp_filter=2 net.ipv4.conf.e0.rp_filter=0");

    // Input: use_vmac for VRID 51 on e0.
    // Output: vrrp.51@e0, macvlan mode private, MAC 00:00:5e:00:01:33, up.
    let index = create_vmac(&netlink, e0, "vrrp", 51, VmacFamily::Ipv4)
        .await
        .expect("create VMAC");
    assert_eq!(index, ns.ifindex("vrrp.51"));
    let shown = ns.ip(&["-d", "link", "show", "dev", "vrrp.51"]);
    assert!(shown.contains("vrrp.51@e0"), "{shown}");
    assert!(shown.contains("macvlan mode private"), "{shown}");
    assert!(shown.contains("link/ether 00:00:5e:00:01:33"), "{shown}");
    assert!(shown.contains(",UP"), "{shown}");
    assert_eq!(vmac_address(51, VmacFamily::Ipv6), [0, 0, 0x5e, 0, 2, 51]);

    // Input: an IPv6 VMAC for VRID 52 (keepalived tries the name vrrp6.52 first).
    // Output: MAC 00:00:5e:00:02:34 and the link-local address derived from it (spec §3.10).
    let index6 = create_vmac(&netlink, e0, "vrrp6", 52, VmacFamily::Ipv6)
        .await
        .expect("create IPv6 VMAC");
    let shown = ns.ip(&["link", "show", "dev", "vrrp6.52"]);
    assert!(shown.contains("link/ether 00:00:5e:00:02:34"), "{shown}");
    let mut link_local = String::new();
    for _ in 0..100 {
        link_local = ns.ip(&["-6", "addr", "show", "dev", "vrrp6.52", "scope", "link"]);
        if link_local.contains("fe80::200:5eff:fe00:234/64") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        link_local.contains("fe80::200:5eff:fe00:234/64"),
        "{link_local}"
    );
    netlink.delete_link(index6).await.unwrap();

    // Input: a second VMAC with the same name.  Output: EEXIST (the caller picks vrrp1.51).
    let clash = create_vmac(&netlink, e0, "vrrp", 51, VmacFamily::Ipv4).await;
    assert_eq!(clash.unwrap_err().netlink_errno(), Some(libc::EEXIST));

    // Input: configure the sysctls (all.rp_filter was 2, e0's 0).
    // Output: keepalived's values; e0 raised to 2 so its effective rp_filter is unchanged.
    let sysctl = |path: &str| {
        let out = ns.sh(&format!("cat /proc/sys/net/ipv4/conf/{path}"));
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    let restore = ns.run_in(|| configure_vmac_sysctls("vrrp.51", "e0").expect("sysctls"));
    for (path, value) in [
        ("vrrp.51/arp_ignore", "1"),
        ("vrrp.51/accept_local", "1"),
        ("vrrp.51/rp_filter", "0"),
        ("e0/arp_ignore", "1"),
        ("e0/arp_filter", "1"),
        ("all/rp_filter", "0"),
        ("e0/rp_filter", "2"),
    ] {
        assert_eq!(sysctl(path), value, "{path}");
    }
    assert_eq!(ns.run_in(|| read_conf("e0", "arp_filter").unwrap()), "1");

    // Input: shutdown: delete the VMAC, restore the sysctls.
    // Output: the link is gone and the parent and all/ values are back.
    netlink.delete_link(index).await.expect("delete VMAC");
    assert!(
        !ns.ip_output(&["link", "show", "dev", "vrrp.51"])
            .status
            .success()
    );
    ns.run_in(|| restore.restore()).expect("restore");
    for (path, value) in [
        ("e0/arp_ignore", "0"),
        ("e0/arp_filter", "0"),
        ("all/rp_filter", "2"),
        ("e0/rp_filter", "0"),
    ] {
        assert_eq!(sysctl(path), value, "{path}");
    }
}

/// Waits up to 3 s for an event matching `wanted`, skipping others.
async fn wait_for(monitor: &mut NetlinkMonitor, wanted: impl Fn(&NetEvent) -> bool) -> NetEvent {
    tokio::time::timeout(Duration::from_secs(3), async {
        loop {
            let event = monitor.next().await.expect("monitor closed");
            if wanted(&event) {
                return event;
            }
        }
    })
    .await
    .expect("event not seen within 3 s")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn monitor_reports_link_changes_and_addresses_removed_by_someone_else() {
    let lab = one_host("kmon");
    let ns = &lab.host(0).ns;
    let e0 = ns.ifindex("e0");
    let handle = tokio::runtime::Handle::current();
    let (netlink, mut monitor) = ns.run_in(move || {
        let _runtime = handle.enter();
        (
            Netlink::open().unwrap(),
            NetlinkMonitor::open().expect("open monitor"),
        )
    });

    // Input: the daemon adds a VIP.  Output: AddressAdded for it on e0.
    netlink
        .add_address(&AddressSpec::new(e0, v4("10.88.5.5"), 24))
        .await
        .unwrap();
    let added = wait_for(&mut monitor, |e| matches!(e, NetEvent::AddressAdded { .. })).await;
    assert_eq!(
        added,
        NetEvent::AddressAdded {
            ifindex: e0,
            address: v4("10.88.5.5"),
            prefix_len: 24
        }
    );

    // Input: an operator runs `ip addr del` on the VIP.  Output: AddressRemoved for it.
    ns.ip(&["addr", "del", "10.88.5.5/24", "dev", "e0"]);
    let removed = wait_for(&mut monitor, |e| {
        matches!(e, NetEvent::AddressRemoved { .. })
    })
    .await;
    assert_eq!(
        removed,
        NetEvent::AddressRemoved {
            ifindex: e0,
            address: v4("10.88.5.5"),
            prefix_len: 24
        }
    );

    // Input: the switch port goes down (carrier lost).  Output: e0 reported not up.
    lab.set_port_up(0, false);
    let down = wait_for(
        &mut monitor,
        |e| matches!(e, NetEvent::Link(l) if l.index == e0 && !l.is_up()),
    )
    .await;
    let NetEvent::Link(link) = down else {
        unreachable!()
    };
    assert_eq!(link.name, "e0");
    assert!(link.admin_up && !link.running);

    // Input: the port comes back.  Output: e0 reported up.
    lab.set_port_up(0, true);
    wait_for(
        &mut monitor,
        |e| matches!(e, NetEvent::Link(l) if l.index == e0 && l.is_up()),
    )
    .await;

    // Input: the daemon sets e0 down itself.  Output: reported, admin down.
    netlink.set_link_up(e0, false).await.unwrap();
    wait_for(
        &mut monitor,
        |e| matches!(e, NetEvent::Link(l) if l.index == e0 && !l.admin_up),
    )
    .await;
    let link = netlink.link_by_name("e0").await.unwrap();
    assert!(!link.is_up());
    assert_eq!(
        link.mac.map(|m| m.to_vec()),
        Some(parse_mac(&lab.host(0).mac()))
    );
    // Output: asked by index alone, the same link; an index nobody holds is ENODEV.
    let by_index = netlink.link(e0).await.unwrap();
    assert_eq!((by_index.name.as_str(), by_index.is_up()), ("e0", false));
    assert_eq!(by_index.mac, link.mac);
    let missing = netlink.link(999_999).await.unwrap_err();
    assert_eq!(missing.netlink_errno(), Some(libc::ENODEV), "{missing}");
}

fn parse_mac(text: &str) -> Vec<u8> {
    text.split(':')
        .map(|b| u8::from_str_radix(b, 16).unwrap())
        .collect()
}

// current_thread: while the test blocks on `ip -batch`, no task drains the monitors'
// sockets, so the burst lands in the kernel's receive buffers as it would on a busy daemon.
#[tokio::test(flavor = "current_thread")]
async fn a_burst_of_vips_fits_the_default_monitor_and_overruns_a_tiny_one() {
    let lab = one_host("kburst");
    let ns = &lab.host(0).ns;
    let handle = tokio::runtime::Handle::current();
    let (mut roomy, mut tiny) = ns.run_in(move || {
        let _runtime = handle.enter();
        (
            NetlinkMonitor::open().unwrap(),
            NetlinkMonitor::open_with_buffer(1).unwrap(),
        )
    });

    // Input: 300 VIPs added in one burst (`ip -batch`) while neither monitor is read.
    let dir = keel_lab::TempDir::new("kburst");
    let batch = dir.path().join("batch");
    let lines: String = (0..300u32)
        .map(|i| format!("addr add 10.90.{}.{}/32 dev e0\n", i / 200, i % 200 + 1))
        .collect();
    std::fs::write(&batch, lines).unwrap();
    ns.ip(&["-batch", &batch.display().to_string()]);

    // Output: the default (4 MiB) monitor reports all 300 additions, no overrun.
    let mut added = 0;
    while added < 300 {
        match wait_for(&mut roomy, |_| true).await {
            NetEvent::AddressAdded { .. } => added += 1,
            NetEvent::Overrun => panic!("default monitor overran after {added} events"),
            _ => {}
        }
    }
    // Output: the minimum-buffer monitor reports an Overrun, telling the daemon to resync.
    let overrun = wait_for(&mut tiny, |e| *e == NetEvent::Overrun).await;
    assert_eq!(overrun, NetEvent::Overrun);
}
