//! Printing a configuration and parsing it again gives the same configuration.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use proptest::prelude::*;

use crate::model::address::{Route, Rule, VirtualAddress};
use crate::model::global::{DynamicInterfaces, Fifo, GarpExtraIf, LvsSyncDaemon, SmtpServer};
use crate::model::track::{GarpGroup, InitFile, InterfaceDelay, LinkbeatInterface, TrackGroup};
use crate::model::vrrp::{
    AuthType, Authentication, InitialState, Ipvlan, IpvlanFlag, Notify, NotifyDeleted, SyncGroup,
    TrackRef, Tracking, UnicastPeer, Vmac,
};
use crate::model::{
    BfdInstance, Config, Instance, Loc, Prefix, RawKeyword, Script, Seconds, TrackFile,
    TrackProcess, UserGroup, VrrpScript,
};
use crate::print::print;
use crate::testing::{Fake, lines};

fn name() -> impl Strategy<Value = String> {
    "[A-Za-z][A-Za-z0-9_.-]{0,10}"
}

fn command_word() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z/][a-z0-9/._-]{0,12}",
        "[a-z ]{0,6}",
        "[ -~]{0,8}".prop_filter("printable", |s| !s.contains('"')),
    ]
}

fn script() -> impl Strategy<Value = Script> {
    (
        "/[a-z]{1,8}(/[a-z]{1,8}){0,2}",
        prop::collection::vec(command_word(), 0..4),
        prop::option::of((name(), prop::option::of(name()))),
    )
        .prop_map(|(program, args, user)| {
            let mut command = vec![program];
            command.extend(args);
            Script {
                command,
                user: user.as_ref().map(|u| u.0.clone()),
                group: user.and_then(|u| u.1),
                span: Loc::default(),
            }
        })
}

fn seconds(max_whole: u64) -> impl Strategy<Value = Seconds> {
    (0..=max_whole, 0u64..1000).prop_map(|(s, ms)| Seconds::from_micros(s * 1_000_000 + ms * 1000))
}

fn ipv4() -> impl Strategy<Value = IpAddr> {
    any::<[u8; 4]>().prop_map(|o| IpAddr::V4(Ipv4Addr::from(o)))
}

fn ip() -> impl Strategy<Value = IpAddr> {
    prop_oneof![
        ipv4(),
        any::<[u16; 8]>().prop_map(|s| IpAddr::V6(Ipv6Addr::from(s)))
    ]
}

fn prefix() -> impl Strategy<Value = Prefix> {
    (ip(), any::<u8>(), any::<bool>()).prop_map(|(address, len, with)| {
        let max = if address.is_ipv4() { 32 } else { 128 };
        Prefix {
            address,
            len: with.then_some(len % (max + 1)),
        }
    })
}

fn address() -> impl Strategy<Value = VirtualAddress> {
    (
        ip(),
        any::<u8>(),
        prop::option::of(prop_oneof![
            Just("+".to_owned()),
            Just("-".to_owned()),
            ipv4().prop_map(|a| a.to_string())
        ]),
        prop::option::of(name()),
        prop::option::of(prop_oneof![
            Just("link".to_owned()),
            Just("host".to_owned()),
            Just("global".to_owned())
        ]),
        prop::option::of(name()),
        prop::option::of(prefix()),
        any::<[bool; 8]>(),
        prop::option::of(any::<u32>()),
        prop::option::of(name()),
    )
        .prop_map(
            |(address, len, broadcast, dev, scope, label, peer, flags, lft, track_group)| {
                let max = if address.is_ipv4() { 32 } else { 128 };
                VirtualAddress {
                    address,
                    prefix_len: len % (max + 1),
                    broadcast,
                    dev,
                    use_vmac: flags[0],
                    scope,
                    // keepalived labels IPv4 addresses only.
                    label: if address.is_ipv4() { label } else { None },
                    peer,
                    home: flags[1],
                    nodad: flags[2],
                    mngtmpaddr: flags[3],
                    noprefixroute: flags[4],
                    autojoin: flags[5],
                    no_track: flags[6],
                    preferred_lft: lft,
                    track_group,
                    span: Loc::default(),
                }
            },
        )
}

fn route() -> impl Strategy<Value = Route> {
    (
        prop::option::of(prop_oneof![
            Just("blackhole".to_owned()),
            Just("unreachable".to_owned())
        ]),
        prefix(),
        prop::option::of(ip()),
        prop::option::of(ip()),
        prop::option::of(name()),
        prop::option::of("[0-9]{1,3}"),
        prop::option::of(any::<u32>()),
        any::<bool>(),
        prop::collection::vec(
            (
                prop_oneof![Just("mtu"), Just("scope"), Just("proto")],
                "[0-9]{1,4}",
            ),
            0..3,
        ),
    )
        .prop_map(
            |(route_type, to, src, via, dev, table, metric, no_track, options)| Route {
                route_type,
                to,
                src,
                via,
                dev,
                table,
                metric,
                no_track,
                track_group: None,
                options: options
                    .into_iter()
                    .map(|(k, v)| (k.to_owned(), Some(v)))
                    .collect(),
                span: Loc::default(),
            },
        )
}

fn rule() -> impl Strategy<Value = Rule> {
    (
        prop::option::of(prefix()),
        prop::option::of(prefix()),
        prop::option::of("[0-9]{1,3}"),
        prop::option::of(any::<u32>()),
        any::<bool>(),
        prop::collection::vec(
            (
                prop_oneof![Just("iif"), Just("oif"), Just("fwmark")],
                "[a-z0-9]{1,5}",
            ),
            0..3,
        ),
    )
        .prop_filter("a rule has at least one word", |r| {
            r.0.is_some()
                || r.1.is_some()
                || r.2.is_some()
                || r.3.is_some()
                || r.4
                || !r.5.is_empty()
        })
        .prop_map(|(from, to, table, preference, no_track, options)| Rule {
            from,
            to,
            table,
            preference,
            no_track,
            track_group: None,
            options: options
                .into_iter()
                .map(|(k, v)| (k.to_owned(), Some(v)))
                .collect(),
            span: Loc::default(),
        })
}

fn track_ref(max: i32) -> impl Strategy<Value = TrackRef> {
    (
        name(),
        prop::option::of(-max..=max),
        prop::option::of(any::<bool>()),
    )
        .prop_map(|(name, weight, reverse)| TrackRef {
            name,
            weight,
            reverse,
            span: Loc::default(),
        })
}

fn tracking() -> impl Strategy<Value = Tracking> {
    (
        prop::collection::vec(track_ref(253), 0..3),
        prop::collection::vec(track_ref(253), 0..3),
        prop::collection::vec(track_ref(254), 0..2),
        prop::collection::vec(track_ref(254), 0..2),
        prop::collection::vec(track_ref(253), 0..2),
    )
        .prop_map(|(i, s, f, p, b)| Tracking {
            track_interface: i,
            track_script: s,
            track_file: f,
            track_process: p,
            track_bfd: b,
        })
}

fn notify() -> impl Strategy<Value = Notify> {
    prop::collection::vec(prop::option::of(script()), 6).prop_map(|s| {
        let mut s = s.into_iter();
        let mut next = || s.next().flatten();
        Notify {
            notify_master: next(),
            notify_backup: next(),
            notify_fault: next(),
            notify_stop: next(),
            notify: next(),
            notify_master_rx_lower_pri: next(),
        }
    })
}

fn raw() -> impl Strategy<Value = RawKeyword> {
    (
        prop_oneof![Just("old_unicast_checksum"), Just("vrf"), Just("auth_hmac")],
        prop::collection::vec("[a-z0-9]{1,6}", 0..3),
    )
        .prop_map(|(k, args)| RawKeyword {
            keyword: k.to_owned(),
            args,
        })
}

fn ipvlan() -> impl Strategy<Value = Ipvlan> {
    let ipvlan_name = name().prop_filter("not a use_ipvlan word", |n| {
        !matches!(n.as_str(), "bridge" | "private" | "vepa" | "group" | "name")
    });
    (
        prop::option::of(ipvlan_name),
        prop::option::of(prefix()),
        prop_oneof![
            Just(IpvlanFlag::Bridge),
            Just(IpvlanFlag::Private),
            Just(IpvlanFlag::Vepa)
        ],
        prop::option::of(any::<u32>()),
    )
        .prop_map(|(name, address, flag, group)| Ipvlan {
            name,
            address,
            flag,
            group,
            address_loc: Loc::default(),
        })
}

fn instance() -> impl Strategy<Value = Instance> {
    let head = (
        name(),
        prop::option::of(prop_oneof![
            Just(InitialState::Master),
            Just(InitialState::Backup)
        ]),
        prop::option::of(name()),
        1u8..=255,
        1u8..=255,
        (1u64..=255_000).prop_map(|cs| Seconds::from_micros(cs * 1000)),
        prop::option::of(2u8..=3),
        prop::option::of((any::<bool>(), "[a-zA-Z0-9]{0,8}")),
    );
    let body = (
        prop::collection::vec(address(), 0..3),
        prop::collection::vec(address(), 0..2),
        prop::collection::vec(route(), 0..2),
        prop::collection::vec(rule(), 0..2),
        tracking(),
        prop::option::of(ip()),
        prop::collection::vec(
            (
                ip(),
                prop::option::of(any::<u8>()),
                prop::option::of(any::<u8>()),
            ),
            0..3,
        ),
        notify(),
    );
    let flags = (
        any::<[bool; 10]>(),
        prop::option::of(1u8..=255),
        (0u64..=1000).prop_map(Seconds::from_secs),
        prop::option::of(any::<bool>()),
        prop::option::of((prop::option::of(name()), prop::option::of(any::<u32>()))),
        prop::option::of(seconds(100)),
        prop::option::of(1u32..1000),
        prop::option::of(prop::option::of(script())),
        prop::collection::vec(raw(), 0..2),
        prop::option::of(ipvlan()),
    );
    (head, body, flags).prop_map(|(head, body, flags)| {
        let (name, state, interface, vrid, priority, advert_int, version, auth) = head;
        let (vips, excluded, routes, rules, tracking, src, peers, notify) = body;
        let (f, ttl, preempt_delay, accept, vmac, garp_delay, garp_repeat, deleted, other, ipvlan) =
            flags;
        let mut i = Instance::new(name, Loc::default());
        i.state = state;
        i.interface = interface;
        i.virtual_router_id = vrid;
        i.priority = priority;
        i.advert_int = advert_int;
        i.version = version;
        i.authentication = auth.map(|(ah, pass)| Authentication {
            auth_type: if ah { AuthType::Ah } else { AuthType::Pass },
            auth_pass: pass,
        });
        i.virtual_ipaddress = vips;
        i.virtual_ipaddress_excluded = excluded;
        i.virtual_routes = routes;
        i.virtual_rules = rules;
        i.tracking = tracking;
        i.unicast_src_ip = src;
        i.mcast_src_ip = if f[9] { src } else { None };
        i.unicast_peer = peers
            .into_iter()
            .map(|(address, min_ttl, max_ttl)| UnicastPeer {
                address,
                min_ttl,
                max_ttl,
            })
            .collect();
        i.notify = notify;
        i.no_virtual_ipaddress = f[0];
        i.unicast_fault_no_peer = f[1];
        i.check_unicast_src = f[2]
            || i.unicast_peer
                .iter()
                .any(|p| p.min_ttl.is_some() || p.max_ttl.is_some());
        i.nopreempt = f[3];
        i.vmac_xmit_base = f[4];
        i.use_vmac_addr = f[5];
        i.garp_extra_if = f[6].then_some(GarpExtraIf {
            all: f[7],
            interval: Seconds::from_micros(2_500_000),
        });
        i.dont_track_primary = f[5];
        i.track_src_ip = f[6];
        i.promote_secondaries = f[7];
        i.lower_prio_no_advert = Some(f[8]);
        i.unicast_ttl = ttl;
        i.preempt_delay = preempt_delay;
        i.accept = accept;
        i.use_vmac = vmac.map(|(name, group)| Vmac {
            name,
            mac: None,
            netlink_notify_msg: f[8],
            group,
        });
        i.use_ipvlan = ipvlan;
        i.garp_master_delay = garp_delay;
        i.garp_master_repeat = garp_repeat;
        i.notify_deleted = deleted.map(|script| NotifyDeleted { script });
        i.other = other;
        i
    })
}

fn vrrp_script() -> impl Strategy<Value = VrrpScript> {
    (
        name(),
        script(),
        (1u64..100_000).prop_map(|ms| Seconds::from_micros(ms * 1000)),
        prop::option::of((1u64..100).prop_map(Seconds::from_secs)),
        -253i32..=253,
        any::<[bool; 2]>(),
        1u32..10,
        1u32..10,
        prop::option::of((name(), prop::option::of(name()))),
    )
        .prop_map(
            |(name, script, interval, timeout, weight, flags, rise, fall, user)| VrrpScript {
                name,
                // `script` takes the whole line as the command; the user is `user`.
                script: Script {
                    user: None,
                    group: None,
                    ..script
                },
                interval,
                timeout,
                weight,
                reverse: flags[0],
                rise,
                fall,
                user: user.map(|(user, group)| UserGroup { user, group }),
                init_fail: flags[1],
                span: Loc::default(),
            },
        )
}

fn others() -> impl Strategy<Value = (Vec<TrackFile>, Vec<TrackProcess>, Vec<BfdInstance>)> {
    let file = (
        name(),
        "/[a-z]{1,8}",
        -254i32..=254,
        any::<bool>(),
        prop::option::of((any::<i32>(), any::<bool>())),
    )
        .prop_map(|(name, file, weight, reverse, init)| TrackFile {
            name,
            file,
            weight,
            reverse,
            init_file: init.map(|(v, o)| InitFile {
                value: i64::from(v),
                overwrite: o,
            }),
            span: Loc::default(),
        });
    let process = (
        name(),
        prop::collection::vec(command_word().prop_filter("word", |w| !w.is_empty()), 1..3),
        -254i32..=254,
        1u32..5,
        prop::option::of(5u32..9),
        any::<bool>(),
    )
        .prop_map(
            |(name, process, weight, quorum, quorum_max, full)| TrackProcess {
                name,
                process,
                param_match: full.then(|| "partial".to_owned()),
                weight,
                reverse: full,
                quorum,
                quorum_max,
                fork_delay: None,
                terminate_delay: quorum_max.map(|q| Seconds::from_secs(u64::from(q))),
                full_command: full,
                span: Loc::default(),
            },
        );
    let bfd = (name(), ip(), 1u32..1000, 1u8..=255, any::<bool>()).prop_map(
        |(name, ip, rx, mult, passive)| BfdInstance {
            name,
            neighbor_ip: Some(ip),
            source_ip: None,
            min_rx_ms: rx,
            min_tx_ms: 10,
            idle_tx_ms: 1000,
            multiplier: mult,
            passive,
            ttl: Some(mult),
            max_hops: None,
            multihop: passive,
            weight: 0,
            reverse: false,
            other: Vec::new(),
            span: Loc::default(),
        },
    );
    (
        prop::collection::vec(file, 0..2),
        prop::collection::vec(process, 0..2),
        prop::collection::vec(bfd, 0..2),
    )
}

fn config() -> impl Strategy<Value = Config> {
    (
        prop::collection::vec(instance(), 0..3),
        prop::collection::vec(vrrp_script(), 0..3),
        others(),
        (
            prop::option::of(name()),
            prop::collection::vec("[a-z]{1,5}@[a-z]{1,5}", 0..3),
            prop::option::of((name(), 1u16..)),
        ),
        (
            any::<[bool; 8]>(),
            prop::option::of(script()),
            prop::option::of(0u32..0o777),
            2u8..=3,
        ),
        (
            prop::collection::vec(address(), 0..2),
            prop::collection::vec(route(), 0..2),
            prop::collection::vec(rule(), 0..2),
        ),
        prop::collection::vec(
            (
                name(),
                prop::collection::vec(name(), 0..3),
                notify(),
                tracking(),
            ),
            0..2,
        ),
    )
        .prop_map(
            |(instances, scripts, (files, processes, bfds), mail, misc, statics, groups)| {
                let mut c = Config::default();
                c.vrrp.instances = instances;
                c.vrrp.scripts = scripts;
                c.vrrp.track_files = files;
                c.vrrp.track_processes = processes;
                c.vrrp.bfd_instances = bfds;
                let (router_id, emails, smtp) = mail;
                let g = &mut c.global_defs;
                g.router_id = router_id;
                g.notification_email = emails;
                g.smtp_server = smtp.map(|(host, port)| SmtpServer { host, port });
                let (f, startup, umask, version) = misc;
                g.enable_script_security = f[0];
                g.vrrp_strict = f[1];
                g.smtp_alert = Some(f[2]);
                g.dynamic_interfaces = f[3].then_some(DynamicInterfaces {
                    allow_if_changes: f[4],
                });
                g.garp.extra_if = f[5].then_some(GarpExtraIf {
                    all: f[6],
                    interval: Seconds::from_secs(7),
                });
                g.vrrp_notify_fifo = f[7].then(|| Fifo {
                    path: "/run/fifo".into(),
                    user: Some("root".into()),
                    group: None,
                });
                g.lvs_sync_daemon = f[7].then(|| LvsSyncDaemon {
                    interface: "eth0".into(),
                    instance: Some("VI_1".into()),
                    id: Some(5),
                    maxlen: None,
                    port: Some(8848),
                    ttl: None,
                    group: None,
                });
                g.startup_script = startup;
                g.umask = umask;
                g.vrrp_version = version;
                c.root.use_pid_dir = f[0];
                c.root.instance = f[1].then(|| "inst".to_owned());
                c.root.net_namespace_ipvs = f[2].then(String::new);
                (
                    c.vrrp.static_ipaddress,
                    c.vrrp.static_routes,
                    c.vrrp.static_rules,
                ) = statics;
                for (name, members, mut notify, tracking) in groups {
                    // Sync groups have no notify_master_rx_lower_pri.
                    notify.notify_master_rx_lower_pri = None;
                    c.vrrp.sync_groups.push(SyncGroup {
                        name,
                        group: members,
                        notify,
                        tracking,
                        ..SyncGroup::default()
                    });
                }
                if f[3] {
                    c.vrrp.track_groups.push(TrackGroup {
                        name: "tg".into(),
                        group: vec!["VI_1".into()],
                    });
                    c.vrrp.garp_groups.push(GarpGroup {
                        garp_interval: Some(Seconds::from_micros(1500)),
                        gna_interval: None,
                        interfaces: vec!["eth0".into(), "eth1".into()],
                        span: Loc::default(),
                    });
                    c.vrrp.linkbeat_interfaces.push(LinkbeatInterface {
                        interface: "eth0".into(),
                        method: Some("MII".into()),
                    });
                    c.vrrp.interface_up_down_delays.push(InterfaceDelay {
                        interface: "eth1".into(),
                        down: Seconds::from_secs(2),
                        up: Seconds::from_micros(500_000),
                    });
                }
                c
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn printed_configs_parse_back_equal(original in config()) {
        // Input: a generated configuration, printed as keepalived.conf.
        // Output: parsing the text (keyword tables only) gives the same configuration.
        let text = print(&original);
        let host = Fake::corpus();
        let (mut reparsed, diagnostics) = crate::parse::config(&lines(&text), &host, &host);
        reparsed.not_supported.clear();
        let errors: Vec<_> = diagnostics.iter().filter(|d| d.severity == crate::diag::Severity::Error).collect();
        prop_assert!(errors.is_empty(), "{errors:?}\n{text}");
        prop_assert_eq!(reparsed, original, "{}", text);
    }
}

#[test]
fn seed_config_prints_and_parses_back() {
    // Input: the seed master.conf parsed with its cross-checks.
    // Output: printing and re-parsing gives the same model.
    let host = crate::parse::tests::seed_host();
    let (mut config, _) = crate::parse(&lines(crate::parse::tests::SEED_MASTER), &host, &host);
    config.not_supported.clear();
    let text = print(&config);
    let (mut again, _) = crate::parse(&lines(&text), &host, &host);
    again.not_supported.clear();
    assert_eq!(again, config, "{text}");
    assert!(text.contains("script \"pidof nginx\""), "{text}");
}
