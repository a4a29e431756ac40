//! Keyword-group scenarios: what a user writes in each block and what the model holds.

use crate::diag::{Diagnostic, Severity, exit_code};
use crate::model::Config;
use crate::testing::{Fake, lines};

fn parse_text(text: &str) -> (Config, Vec<Diagnostic>) {
    let host = Fake::corpus().with_file("/bin/true", 0o755);
    crate::parse(&lines(text), &host, &host)
}

fn errors(diagnostics: &[Diagnostic]) -> Vec<(&str, u32, u32)> {
    diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| {
            (
                d.message.as_str(),
                d.span.map_or(0, |s| s.line),
                d.span.map_or(0, |s| s.col),
            )
        })
        .collect()
}

/// An instance on eth0 with one VIP and `extra` in its block.
fn instance(extra: &str) -> String {
    format!(
        "vrrp_instance VI_1 {{\n interface eth0\n virtual_router_id 9\n virtual_ipaddress {{\n  10.0.0.1\n }}\n{extra}}}\n"
    )
}

#[test]
fn global_defs_typed_values() {
    // Input: the COMMON global keywords with non-default values.
    // Output: each typed in the model; no diagnostics.
    let text = "global_defs {
 vrrp_mcast_group4 224.0.0.19
 vrrp_version 3
 vrrp_garp_master_delay 2
 vrrp_garp_master_repeat 3
 vrrp_garp_interval 0.001
 vrrp_min_garp
 script_user root:root
 dynamic_interfaces allow_if_changes
 notify_fifo /run/k.fifo root root
 vrrp_notify_fifo_script \"/usr/bin/logger -t vrrp\"
 lvs_sync_daemon eth0 VI_1 id 7 port 8849
 lvs_timeouts tcp 900 udp 300
 umask 0077
 max_auto_priority
 nftables
 smtp_alert off
}
";
    let (config, diagnostics) = parse_text(text);
    assert!(errors(&diagnostics).is_empty(), "{diagnostics:?}");
    let g = &config.global_defs;
    assert_eq!(g.vrrp_mcast_group4.to_string(), "224.0.0.19");
    assert_eq!(g.vrrp_version, 3);
    assert_eq!(
        (g.garp.master_delay.micros(), g.garp.master_repeat),
        (2_000_000, 3)
    );
    assert_eq!(g.garp.interval.micros(), 1000);
    assert!(g.garp.min_garp);
    let user = g.script_user.as_ref().expect("script_user");
    assert_eq!(
        (user.user.as_str(), user.group.as_deref()),
        ("root", Some("root"))
    );
    assert_eq!(g.dynamic_interfaces.map(|d| d.allow_if_changes), Some(true));
    let fifo = g.notify_fifo.as_ref().expect("notify_fifo");
    assert_eq!(
        (
            fifo.path.as_str(),
            fifo.user.as_deref(),
            fifo.group.as_deref()
        ),
        ("/run/k.fifo", Some("root"), Some("root"))
    );
    assert_eq!(g.fifo_scripts[0].0, "vrrp_notify_fifo_script");
    assert_eq!(
        g.fifo_scripts[0].1.command,
        ["/usr/bin/logger", "-t", "vrrp"]
    );
    let daemon = g.lvs_sync_daemon.as_ref().expect("lvs_sync_daemon");
    assert_eq!(
        (daemon.instance.as_deref(), daemon.id, daemon.port),
        (Some("VI_1"), Some(7), Some(8849))
    );
    assert_eq!(g.lvs_timeouts.tcp.map(|s| s.micros()), Some(900_000_000));
    assert_eq!(g.lvs_timeouts.udp.map(|s| s.micros()), Some(300_000_000));
    assert_eq!(g.umask, Some(0o077));
    assert_eq!(g.max_auto_priority, Some(99));
    assert_eq!(g.nftables.as_deref(), Some("keepalived"));
    assert_eq!(g.smtp_alert, Some(false));
}

#[test]
fn global_defs_range_errors() {
    // Input: values outside keepalived's ranges.
    // Output: an error at each value, defaults kept.
    let text = "global_defs {\n vrrp_version 4\n vrrp_priority 30\n vrrp_garp_interval 0\n vrrp_mcast_group4 10.0.0.1\n}\n";
    let (config, diagnostics) = parse_text(text);
    assert_eq!(
        errors(&diagnostics),
        [
            ("number '4' outside range [2, 3]", 2, 15),
            ("number '30' outside range [-20, 19]", 3, 16),
            ("time '0' outside range [0.000001, 4294.967295]", 4, 21),
            ("cannot parse vrrp_mcast_group4 [10.0.0.1]", 5, 20),
        ]
    );
    assert_eq!(config.global_defs.vrrp_version, 2);
    assert_eq!(
        config.global_defs.vrrp_mcast_group4.to_string(),
        "224.0.0.18"
    );
}

#[test]
fn virtual_ipaddress_full_syntax() {
    // Input: VIP lines with every option of spec §2.6.
    // Output: each option in the model; the IPv6 block goes to excluded addresses.
    let text = instance(
        " virtual_ipaddress {\n  10.0.0.2/24 brd + dev eth1 scope link label eth1:vip no_track preferred_lft 0 home\n }\n virtual_ipaddress_excluded {\n  fe80::1/64 dev eth0 -nodad noprefixroute autojoin mngtmpaddr\n }\n",
    );
    let (config, diagnostics) = parse_text(&text);
    assert!(errors(&diagnostics).is_empty(), "{diagnostics:?}");
    let vi = &config.vrrp.instances[0];
    let vip = &vi.virtual_ipaddress[1];
    assert_eq!(
        (vip.address.to_string().as_str(), vip.prefix_len),
        ("10.0.0.2", 24)
    );
    assert_eq!(vip.broadcast.as_deref(), Some("+"));
    assert_eq!(vip.dev.as_deref(), Some("eth1"));
    assert_eq!(vip.scope.as_deref(), Some("link"));
    assert_eq!(vip.label.as_deref(), Some("eth1:vip"));
    assert!(vip.no_track && vip.home);
    assert_eq!(vip.preferred_lft, Some(0));
    let excluded = &vi.virtual_ipaddress_excluded[0];
    assert_eq!(excluded.prefix_len, 64);
    assert!(excluded.nodad && excluded.noprefixroute && excluded.autojoin && excluded.mngtmpaddr);
}

#[test]
fn virtual_ipaddress_errors() {
    // Input: the sample's broken `192.168.100./24` and an unknown option.
    // Output: the bad address skipped with an error at it; the unknown option ignored
    // with keepalived's message; the good address kept.
    let text = instance(" virtual_ipaddress {\n  192.168.100./24\n  10.0.0.3 frobnicate\n }\n");
    let (config, diagnostics) = parse_text(&text);
    assert_eq!(
        errors(&diagnostics),
        [
            ("invalid IP address '192.168.100./24' - skipping", 8, 3),
            (
                "unknown configuration entry 'frobnicate' for ip address - ignoring",
                9,
                12
            ),
        ]
    );
    assert_eq!(config.vrrp.instances[0].virtual_ipaddress.len(), 2);
}

#[test]
fn virtual_routes_with_ip_route_options() {
    // Input: routes with src/to/via/dev/table/metric, `via inet6`, a blackhole route,
    // a locked metric and a multipath nexthop list.
    // Output: the typed fields and the other options in order.
    let text = instance(
        " virtual_routes {\n  src 10.0.0.1 to 192.168.0.0/24 via 10.0.0.254 dev eth0 table 100 metric 5 no_track\n  default via inet6 2001:db8::1 dev eth1\n  blackhole 10.9.0.0/16\n  10.8.0.0/16 dev eth0 mtu lock 1400\n  10.7.0.0/16 nexthop via 10.0.0.1 dev eth0 weight 1 nexthop via 10.0.0.2 dev eth1 weight 2\n }\n",
    );
    let (config, diagnostics) = parse_text(&text);
    assert!(errors(&diagnostics).is_empty(), "{diagnostics:?}");
    let routes = &config.vrrp.instances[0].virtual_routes;
    assert_eq!(routes[0].to.to_string(), "192.168.0.0/24");
    assert_eq!(
        routes[0].src.map(|a| a.to_string()).as_deref(),
        Some("10.0.0.1")
    );
    assert_eq!(
        routes[0].via.map(|a| a.to_string()).as_deref(),
        Some("10.0.0.254")
    );
    assert_eq!(
        (
            routes[0].table.as_deref(),
            routes[0].metric,
            routes[0].no_track
        ),
        (Some("100"), Some(5), true)
    );
    assert_eq!(routes[1].to.to_string(), "::/0");
    assert_eq!(routes[2].route_type.as_deref(), Some("blackhole"));
    assert_eq!(
        routes[3].options,
        [("mtu".to_owned(), Some("lock 1400".to_owned()))]
    );
    assert_eq!(
        routes[4]
            .options
            .iter()
            .filter(|(k, _)| k == "nexthop")
            .count(),
        2
    );
    assert_eq!(routes[4].via, None);
}

#[test]
fn virtual_routes_errors() {
    // Input: an unknown route word after the destination and a bad destination.
    // Output: keepalived-style errors at the words.
    let text =
        instance(" virtual_routes {\n  10.1.0.0/16 dev eth0 restore\n  nonsense dev eth0\n }\n");
    let (config, diagnostics) = parse_text(&text);
    assert_eq!(
        errors(&diagnostics),
        [
            ("unknown route keyword 'restore'", 8, 24),
            ("invalid route destination 'nonsense' - skipping", 9, 3),
        ]
    );
    assert_eq!(config.vrrp.instances[0].virtual_routes.len(), 1);
}

#[test]
fn virtual_rules_with_ip_rule_options() {
    // Input: rules with from/to/table/preference/iif/fwmark, and an unknown option.
    // Output: typed fields, other options in order, an error for the unknown one.
    let text = instance(
        " virtual_rules {\n  from 10.0.0.0/8 to all table 100 preference 200 iif eth0 fwmark 0x10/0xff\n  from 10.1.0.0/16 lookup 5 track\n }\n",
    );
    let (config, diagnostics) = parse_text(&text);
    assert_eq!(
        errors(&diagnostics),
        [("unknown rule option 'track'", 9, 29)]
    );
    let rules = &config.vrrp.instances[0].virtual_rules;
    assert_eq!(
        rules[0].from.map(|p| p.to_string()).as_deref(),
        Some("10.0.0.0/8")
    );
    assert_eq!(rules[0].to, None);
    assert_eq!(
        (rules[0].table.as_deref(), rules[0].preference),
        (Some("100"), Some(200))
    );
    assert_eq!(
        rules[0].options,
        [
            ("iif".to_owned(), Some("eth0".to_owned())),
            ("fwmark".to_owned(), Some("0x10/0xff".to_owned()))
        ]
    );
    assert_eq!(rules[1].table.as_deref(), Some("5"));
}

#[test]
fn unicast_peers_with_ttl_bounds() {
    // Input: two peers, one with min_ttl/max_ttl, one with a bad option.
    // Output: both peers; the TTLs typed; an error for the bad option.
    let text = instance(
        " unicast_src_ip 10.0.0.1\n unicast_peer {\n  10.0.0.2 min_ttl 250 max_ttl 255\n  10.0.0.3 ttl 3\n }\n",
    );
    let (config, diagnostics) = parse_text(&text);
    assert_eq!(
        errors(&diagnostics),
        [("unknown unicast_peer option 'ttl'", 10, 12)]
    );
    let peers = &config.vrrp.instances[0].unicast_peer;
    assert_eq!(peers.len(), 2);
    assert_eq!((peers[0].min_ttl, peers[0].max_ttl), (Some(250), Some(255)));
    assert!(
        config.vrrp.instances[0].check_unicast_src,
        "TTL bounds imply check_unicast_src"
    );
}

#[test]
fn track_blocks_with_weights() {
    // Input: track_interface/track_script/track_process entries with weight and reverse,
    // and a weight out of range.
    // Output: typed references; the out-of-range weight reported at the value.
    let text = format!(
        "vrrp_script chk {{\n script /bin/true\n}}\nvrrp_track_process nginx {{\n process nginx\n}}\n{}",
        instance(
            " track_interface {\n  eth1 weight -20 reverse\n }\n track_script {\n  chk weight 300\n }\n track_process {\n  nginx weight 254 noreverse\n }\n"
        )
    );
    let (config, diagnostics) = parse_text(&text);
    assert_eq!(
        errors(&diagnostics),
        [("number '300' outside range [-254, 254]", 17, 14)]
    );
    let tracking = &config.vrrp.instances[0].tracking;
    assert_eq!(
        (
            tracking.track_interface[0].weight,
            tracking.track_interface[0].reverse
        ),
        (Some(-20), Some(true))
    );
    assert_eq!(tracking.track_script[0].weight, None);
    assert_eq!(
        (
            tracking.track_process[0].weight,
            tracking.track_process[0].reverse
        ),
        (Some(254), Some(false))
    );
}

#[test]
fn vrrp_track_process_block() {
    // Input: a process with parameters, quorum bounds and delays; one with quorum_max < quorum.
    // Output: the typed block; keepalived-style error for the inverted quorum.
    let text = "vrrp_track_process p1 {\n process \"haproxy -f /etc/h.cfg\"\n param_match partial\n quorum 2\n quorum_max 4\n delay 1.5\n full_command\n weight -10 reverse\n}\nvrrp_track_process p2 {\n process x\n quorum 5\n quorum_max 1\n}\n";
    let (config, diagnostics) = parse_text(text);
    assert_eq!(
        errors(&diagnostics),
        [(
            "vrrp_track_process p2: quorum_max 1 is less than quorum 5",
            14,
            1
        )]
    );
    let p = &config.vrrp.track_processes[0];
    assert_eq!(p.process, ["haproxy", "-f", "/etc/h.cfg"]);
    assert_eq!(p.param_match.as_deref(), Some("partial"));
    assert_eq!((p.quorum, p.quorum_max), (2, Some(4)));
    assert_eq!(p.fork_delay.map(|s| s.micros()), Some(1_500_000));
    assert_eq!(p.terminate_delay, p.fork_delay);
    assert!(p.full_command && p.reverse);
    assert_eq!(p.weight, -10);
}

#[test]
fn track_file_and_bfd_blocks() {
    // Input: a track_file with init_file, one without file, a bfd_instance with the
    // British spelling and one without neighbour.
    // Output: typed blocks; keepalived's errors, at the closing brace, for the incomplete
    // ones (which are dropped).
    let text = "track_file tf {\n file /run/prio\n weight -2 reverse\n init_file 5 overwrite\n}\ntrack_file empty {\n weight 1\n}\nbfd_instance b1 {\n neighbour_ip 10.0.0.9\n min_rx 50\n multiplier 3\n}\nbfd_instance b2 {\n min_tx 20\n}\n";
    let (config, diagnostics) = parse_text(text);
    assert_eq!(
        errors(&diagnostics),
        [
            ("no file set for track_file empty - ignoring", 8, 1),
            (
                "BFD instance b2 has no neighbor address set, disabling instance",
                16,
                1
            ),
        ]
    );
    let tf = &config.vrrp.track_files[0];
    assert_eq!(
        (tf.file.as_str(), tf.weight, tf.reverse),
        ("/run/prio", -2, true)
    );
    assert_eq!(
        tf.init_file.map(|i| (i.value, i.overwrite)),
        Some((5, true))
    );
    let bfd = &config.vrrp.bfd_instances[0];
    assert_eq!(
        bfd.neighbor_ip.map(|a| a.to_string()).as_deref(),
        Some("10.0.0.9")
    );
    assert_eq!((bfd.min_rx_ms, bfd.min_tx_ms, bfd.multiplier), (50, 10, 3));
    assert_eq!(config.vrrp.track_files.len(), 1);
    assert_eq!(config.vrrp.bfd_instances.len(), 1);
}

#[test]
fn static_blocks_and_interface_helpers() {
    // Input: static addresses/routes/rules, track_group, garp_group, linkbeat and delays.
    // Output: typed lists; errors for a delay over 255 s and an unknown linkbeat method.
    let text = "static_ipaddress {\n 10.5.0.1/24 dev eth1 track_group tg\n}\nstatic_routes {\n 10.6.0.0/16 via 10.5.0.254 dev eth1\n}\nstatic_rules {\n from 10.5.0.0/24 table 7 preference 10\n}\ntrack_group tg {\n group {\n  VI_1\n }\n}\ngarp_group {\n garp_interval 0.01\n interfaces {\n  eth0\n  eth1\n }\n}\nlinkbeat_interfaces {\n eth0 MII\n eth1 PSYCHIC\n}\ninterface_up_down_delays {\n eth0 2 1\n eth1 300\n}\n";
    let (config, diagnostics) = parse_text(text);
    assert_eq!(
        errors(&diagnostics),
        [
            ("invalid value 'PSYCHIC'", 24, 7),
            ("time '300' outside range [0, 255]", 28, 7)
        ]
    );
    let v = &config.vrrp;
    assert_eq!(v.static_ipaddress[0].track_group.as_deref(), Some("tg"));
    assert_eq!(v.static_routes[0].dev.as_deref(), Some("eth1"));
    assert_eq!(v.static_rules[0].preference, Some(10));
    assert_eq!(v.track_groups[0].group, ["VI_1"]);
    assert_eq!(v.garp_groups[0].interfaces, ["eth0", "eth1"]);
    assert_eq!(v.linkbeat_interfaces[0].method.as_deref(), Some("MII"));
    assert_eq!(v.interface_up_down_delays[0].up.micros(), 1_000_000);
    assert_eq!(v.interface_up_down_delays.len(), 1);
}

#[test]
fn deprecated_instance_keywords_warn_like_keepalived() {
    // Input: vmac_garp_intvl in an instance (keepalived warns), vrrp_track_file at the
    // root (keepalived is silent).
    // Output: a warning naming garp_extra_if; only a note for vrrp_track_file.
    let text = format!(
        "vrrp_track_file f {{\n file /run/x\n}}\n{}",
        instance(" vmac_garp_intvl 5\n")
    );
    let (_, diagnostics) = parse_text(&text);
    let dep: Vec<(&Severity, &str)> = diagnostics
        .iter()
        .filter(|d| d.message.contains("deprecated"))
        .map(|d| (&d.severity, d.message.as_str()))
        .collect();
    assert_eq!(
        dep,
        [
            (
                &Severity::Note,
                "keyword 'vrrp_track_file' is deprecated - please use 'track_file'"
            ),
            (
                &Severity::Warning,
                "keyword 'vmac_garp_intvl' is deprecated - please use 'garp_extra_if'"
            ),
        ]
    );
}

#[test]
fn keywords_keel_does_not_act_on_are_listed_once() {
    // Input: timer_expired_backup in two instances and enable_traps in global_defs.
    // Output: `not_supported` names enable_traps and timer_expired_backup once each, at
    // first use.
    let text = format!(
        "global_defs {{\n enable_traps\n}}\n{}{}",
        instance(" timer_expired_backup\n"),
        instance(" timer_expired_backup\n")
            .replace("VI_1", "VI_2")
            .replace("router_id 9", "router_id 10")
    );
    let (config, _) = parse_text(&text);
    let names: Vec<&str> = config
        .not_supported
        .iter()
        .map(|n| n.keyword.as_str())
        .collect();
    assert_eq!(names, ["enable_traps", "timer_expired_backup"]);
    assert_eq!(config.not_supported[1].loc.0.map(|s| s.line), Some(10));
}

#[test]
fn bfd_keywords_are_supported() {
    // Input: a bfd_instance with `vrrp` and `checker`, tracked by an instance and a group.
    // Output: none of bfd_instance, vrrp, checker, track_bfd is "not supported yet".
    let text = format!(
        "bfd_instance b {{\n neighbor_ip 10.0.0.2\n vrrp\n checker\n}}\n\
         vrrp_sync_group G {{\n group {{\n VI_1\n }}\n track_bfd {{\n b\n }}\n}}\n{}",
        instance(" track_bfd {\n b weight 10\n }\n")
    );
    let (config, _) = parse_text(&text);
    assert!(
        config.not_supported.is_empty(),
        "{:?}",
        config.not_supported
    );
    assert_eq!(config.vrrp.instances[0].tracking.track_bfd.len(), 1);
    assert_eq!(config.vrrp.bfd_instances[0].other.len(), 2);
}

#[test]
fn unknown_keyword_with_a_block_is_reported_once() {
    // Input: `vrrp_defs { ... }` at the root (a typo keepalived reports, then every line
    // inside it).
    // Output: one error at the keyword; nothing from inside the skipped block.
    let (_, diagnostics) = parse_text("vrrp_defs {\n track_vips\n}\n");
    assert_eq!(
        errors(&diagnostics),
        [("unknown keyword 'vrrp_defs'", 1, 1)]
    );
    assert_eq!(exit_code(&diagnostics), 5);
}

#[test]
fn the_model_serialises_with_keepalived_names() {
    // Input: the seed master.conf.
    // Output: JSON with keepalived's vocabulary and durations in seconds.
    let host = super::tests::seed_host();
    let (config, _) = crate::parse(&lines(super::tests::SEED_MASTER), &host, &host);
    let json = serde_json::to_value(&config).expect("serialisable");
    assert_eq!(json["global_defs"]["router_id"], "LVS_DEVEL");
    let vi = &json["vrrp"]["instances"][0];
    assert_eq!(vi["virtual_router_id"], 51);
    assert_eq!(vi["priority"], 100);
    assert_eq!(vi["advert_int"], 1.0);
    assert_eq!(vi["state"], "MASTER");
    assert_eq!(vi["authentication"]["auth_type"], "PASS");
    assert_eq!(
        json["vrrp"]["scripts"][0]["script"]["command"],
        serde_json::json!(["pidof", "nginx"])
    );
    assert_eq!(json["global_defs"]["smtp_connect_timeout"], 30.0);
    assert!(
        !json.to_string().contains("\"span\""),
        "source positions stay out of the dump"
    );
}

#[test]
fn garp_group_needs_a_delay() {
    // Input: a garp_group with interfaces but neither garp_interval nor gna_interval.
    // Output: keepalived's "does not have any delay set - removing" at the closing brace.
    let (config, diagnostics) = parse_text("garp_group {\n interfaces {\n  eth0\n }\n}\n");
    assert_eq!(
        errors(&diagnostics),
        [("garp group 0 does not have any delay set - removing", 5, 1)]
    );
    assert!(config.vrrp.garp_groups.is_empty());
}

#[test]
fn keepalived_warnings_for_statics_labels_and_route_protocols() {
    // Input: `static_ipaddress track1 {` with an IPv6 label, a static route with
    // `protocol bird`, and a sync group tracking an unknown script.
    // Output: keepalived's three warnings/errors; the label dropped; the route's protocol
    // reset to keepalived.
    let text = format!(
        "static_ipaddress track1 {{\n fe80::9/64 dev eth0 label x\n}}\nstatic_routes {{\n 10.4.0.0/16 dev eth0 protocol bird\n}}\nvrrp_sync_group G {{\n group {{\n  VI_1\n }}\n track_script {{\n  nope\n }}\n}}\n{}",
        instance("")
    );
    let (config, diagnostics) = parse_text(&text);
    let messages: Vec<&str> = diagnostics.iter().map(|d| d.message.as_str()).collect();
    assert!(
        messages.contains(&"Block static_ipaddress has extra parameters track1 ..."),
        "{messages:?}"
    );
    assert!(
        messages.contains(&"Cannot specify label for IPv6 addresses (fe80::9) - ignoring label")
    );
    assert!(messages.contains(
        &"Route cannot be tracked if protocol is not RTPROT_KEEPALIVED(18), resetting protocol"
    ));
    assert!(messages.contains(&"(G) track script nope not found, ignoring..."));
    assert_eq!(config.vrrp.static_ipaddress[0].label, None);
    assert_eq!(
        config.vrrp.static_routes[0].options,
        [("protocol".to_owned(), Some("keepalived".to_owned()))]
    );
}
