//! Scenarios: keepalived.conf text in, the engine's configuration out.

use std::net::IpAddr;
use std::path::Path;
use std::time::Duration;

use keel_conf::memfs::{FakeHost, MemoryFs};
use keel_conf::preprocess::PreprocessOptions;
use keel_vrrp::{Authentication, Family, InitialState, TrackerKind, Version};

use super::*;

fn load(text: &str) -> DaemonConfig {
    let mut fs = MemoryFs::new()
        .with_file("/etc/keepalived/keepalived.conf", text)
        .with_file("/usr/bin/pidof", "#!/bin/sh\n")
        .with_file("/etc/keepalived/notify.sh", "#!/bin/sh\n");
    fs.set_mode("/usr/bin/pidof", 0o755);
    fs.set_mode("/etc/keepalived/notify.sh", 0o755);
    let host = FakeHost::new()
        .with_interface("eth0")
        .with_interface("eth1")
        .with_path_dir("/usr/bin");
    let loaded = keel_conf::load(
        &fs,
        &host,
        Path::new("/etc/keepalived/keepalived.conf"),
        &PreprocessOptions::default(),
    );
    map(
        &loaded.config,
        true,
        &|_, interface, family| match (interface, family) {
            ("eth0", Family::Ipv4) => Some("10.0.0.1".parse().unwrap()),
            ("eth0", Family::Ipv6) => Some("fe80::1".parse().unwrap()),
            _ => None,
        },
        // 10.0.0.99 is the one address this host does not have.
        &|address| address != "10.0.0.99".parse::<IpAddr>().unwrap(),
    )
}

/// One value per VRRP instance of `config`, in configuration order: for tests that compare
/// a flag across several instances at once.
fn per_instance<T>(
    config: &DaemonConfig,
    value: impl Fn(&keel_vrrp::InstanceConfig) -> T,
) -> Vec<T> {
    config.router.instances.iter().map(value).collect()
}

/// The seed's master.conf (issue 2), shared with keel-conf's tests through `testdata/`.
const SEED: &str = include_str!("../../../../testdata/seed/master.conf");

// Input: the seed's master.conf.
// Output: one v2 instance, MASTER wanted, priority 100, PASS "1111" zero-padded, the VIP,
// source = eth0's address, chk_nginx tracked with weight -3, fall 2, rise 1, run every 1 s.
#[test]
fn seed_master_maps_to_a_v2_pass_instance_tracking_its_script() {
    let config = load(SEED);
    assert!(config.warnings.is_empty(), "{:?}", config.warnings);
    let vi = &config.router.instances[0];
    assert_eq!(vi.name, "VI_1");
    assert_eq!(vi.interface, "eth0");
    assert_eq!(vi.vrid, 51);
    assert_eq!(vi.version, Version::V2);
    assert_eq!(vi.initial_state, InitialState::Master);
    assert_eq!(vi.priority, 100);
    assert_eq!(vi.advert_interval, Duration::from_secs(1));
    assert_eq!(vi.primary_address, "10.0.0.1".parse::<IpAddr>().unwrap());
    assert_eq!(
        vi.virtual_addresses,
        vec!["192.168.1.199".parse::<IpAddr>().unwrap()]
    );
    assert_eq!(vi.authentication, Authentication::Pass(*b"1111\0\0\0\0"));
    assert_eq!(vi.trackers.len(), 1);
    assert_eq!(vi.trackers[0].id, script_id("chk_nginx"));
    assert_eq!(vi.trackers[0].weight, -3);
    assert_eq!(
        vi.trackers[0].kind,
        TrackerKind::Script {
            rise: 1,
            fall: 2,
            init_fail: false
        }
    );
    assert_eq!(config.vrrp_scripts.len(), 1);
    assert_eq!(config.vrrp_scripts[0].script.command, ["pidof", "nginx"]);
    assert_eq!(config.vrrp_scripts[0].interval, Duration::from_secs(1));
    // keepalived: a script without a timeout gets its interval.
    assert_eq!(config.vrrp_scripts[0].timeout, Duration::from_secs(1));
}

// Input: notify_master with arguments.
// Output: the engine holds a key that the daemon maps back to the exact argv.
#[test]
fn notify_scripts_round_trip_through_their_keys() {
    let config = load(SEED);
    let vi = &config.router.instances[0];
    let master = vi.notify.master.as_ref().expect("notify_master");
    assert_eq!(
        config.scripts[master].command,
        ["/etc/keepalived/notify.sh", "master"]
    );
    let backup = vi.notify.backup.as_ref().expect("notify_backup");
    assert_eq!(
        config.scripts[backup].command,
        ["/etc/keepalived/notify.sh", "backup"]
    );
    let fault = vi.notify.fault.as_ref().expect("notify_fault");
    assert_eq!(
        config.scripts[fault].command,
        ["/etc/keepalived/notify.sh", "fault"]
    );
}

// Input: a v3 IPv6 instance at 10 ms with unicast peers, a track_interface, global
// vrrp_version 3, garp_master_delay 0 and a vrrp_notify_fifo.
// Output: v3, family IPv6, link-local source, peers, interface tracker (FAULT-only,
// weight 0), no second GARP burst, FIFO lines on, unicast TTL kept for the socket.
#[test]
fn v3_ipv6_unicast_instance_with_tracked_interface() {
    let config = load(
        r#"
global_defs {
  vrrp_version 3
  vrrp_garp_master_delay 0
  vrrp_notify_fifo /run/keel.fifo
}
vrrp_instance V6 {
  interface eth0
  virtual_router_id 7
  priority 150
  advert_int 0.01
  unicast_ttl 64
  unicast_peer {
    fe80::2
  }
  virtual_ipaddress {
    2001:db8::100/64
  }
  track_interface {
    eth1
  }
}
"#,
    );
    let vi = &config.router.instances[0];
    assert_eq!(vi.version, Version::V3);
    assert_eq!(vi.family, Family::Ipv6);
    assert_eq!(vi.advert_interval, Duration::from_millis(10));
    assert_eq!(vi.primary_address, "fe80::1".parse::<IpAddr>().unwrap());
    assert_eq!(vi.unicast_peers.len(), 1);
    assert_eq!(vi.garp.master_delay, None);
    assert!(vi.notify.fifo);
    assert_eq!(vi.trackers[0].id, interface_id("eth1"));
    assert_eq!(vi.trackers[0].weight, 0);
    assert_eq!(
        config.track_interfaces,
        vec![(interface_id("eth1"), "eth1".to_string())]
    );
    assert_eq!(config.instances[0].unicast_ttl, 64);
    assert_eq!(config.instances[0].addresses[0].prefix_len, 64);
    assert_eq!(config.notify_fifo.as_ref().unwrap().path, "/run/keel.fifo");
}

// Input: an instance on an interface with no address (eth1), next to a good one.
// Output: as keepalived 2.2.7, both run; the bad one has no source yet and a failed
// weight-0 tracker (FAULT), with keepalived's "no IPv4 address for interface" warning.
#[test]
fn instance_without_a_source_address_runs_in_fault() {
    let config = load(
        r#"
vrrp_instance BAD {
  interface eth1
  virtual_router_id 1
  virtual_ipaddress { 10.0.0.100 }
}
vrrp_instance GOOD {
  interface eth0
  virtual_router_id 2
  virtual_ipaddress { 10.0.0.101 }
}
"#,
    );
    let names = per_instance(&config, |i| i.name.clone());
    assert_eq!(names, ["BAD", "GOOD"]);
    let (bad, good) = (&config.router.instances[0], &config.router.instances[1]);
    assert!(bad.primary_address.is_unspecified());
    let ids: Vec<_> = bad.trackers.iter().map(|t| t.id.clone()).collect();
    assert_eq!(ids, [source_missing_id("BAD")]);
    assert!(good.trackers.is_empty(), "{:?}", good.trackers);
    assert_eq!(
        config.warnings,
        ["(BAD) entering FAULT state (no IPv4 address for interface)"]
    );
}

// Input: U is unicast with `unicast_src_ip` 10.0.0.99 (no address of the host, see
// `load`); M has `mcast_src_ip` 10.0.0.99 and `track_src_ip`; P is unicast from 10.0.0.5.
// Output: only U is held in FAULT (keepalived 2.2.7: "bind unicast_src … failed", "src
// address not configured"); an absent mcast_src_ip did not stop keepalived from MASTER.
#[test]
fn an_absent_unicast_source_faults_the_instance_an_absent_mcast_source_does_not() {
    let config = load(
        r#"
vrrp_instance U {
  interface eth0
  virtual_router_id 1
  unicast_src_ip 10.0.0.99
  unicast_peer { 10.0.0.2 }
  virtual_ipaddress { 10.0.0.100 }
}
vrrp_instance M {
  interface eth0
  virtual_router_id 2
  mcast_src_ip 10.0.0.99
  track_src_ip
  virtual_ipaddress { 10.0.0.101 }
}
vrrp_instance P {
  interface eth0
  virtual_router_id 3
  unicast_src_ip 10.0.0.5
  unicast_peer { 10.0.0.2 }
  virtual_ipaddress { 10.0.0.102 }
}
"#,
    );
    let missing = per_instance(&config, |i| {
        i.trackers
            .iter()
            .any(|t| t.id == source_missing_id(&i.name))
    });
    assert_eq!(missing, [true, false, false]);
    assert_eq!(config.warnings.len(), 1, "{:?}", config.warnings);
    assert!(
        config.warnings[0].starts_with("(U) entering FAULT state (unicast_src_ip 10.0.0.99"),
        "{:?}",
        config.warnings
    );
}

// Input: a sync group of two instances with a group notify and a group-level track_file.
// Output: the group lists both members, carries its notify and the file tracker; the
// track_file is watched once.
#[test]
fn sync_group_with_group_trackers() {
    let config = load(
        r#"
track_file flag {
  file /run/flag
  weight 0
}
vrrp_sync_group G {
  group { A B }
  notify "/bin/echo group"
  track_file { flag }
}
vrrp_instance A {
  interface eth0
  virtual_router_id 1
  virtual_ipaddress { 10.0.0.100 }
}
vrrp_instance B {
  interface eth0
  virtual_router_id 2
  virtual_ipaddress { 10.0.0.101 }
}
"#,
    );
    let group = &config.router.sync_groups[0];
    assert_eq!(group.members, ["A", "B"]);
    assert!(group.notify.generic.is_some());
    assert_eq!(group.trackers[0].id, file_id("flag"));
    assert_eq!(config.track_files.len(), 1);
    assert_eq!(config.track_files[0].path, "/run/flag");
    // The whole configuration is accepted by the engine.
    assert!(keel_vrrp::Router::new(config.router.clone(), std::time::Instant::now()).is_ok());
}

// Input: words with spaces and quotes.
// Output: the key is a shell-quoted line (for logs), distinct per argv.
#[test]
fn command_keys_quote_what_needs_quoting() {
    let script = Script {
        command: vec!["/x".into(), "arg two".into(), "it's".into()],
        ..Script::default()
    };
    assert_eq!(command_key(&script), r#"/x 'arg two' 'it'\''s'"#);
}

// Input: an instance with use_vmac and a track_bfd; a sync group with smtp_alert and
// one without (global smtp_alert off).
// Output: the instance runs with its base interface as the engine's interface (the VMAC
// is the daemon's); track_bfd becomes an up/down tracker `bfd:b1` of weight 0 (FAULT
// while the session is not Up, spec §3.5), nothing is warned about; only G1 mails.
#[test]
fn use_vmac_track_bfd_and_group_mail_map_without_warnings() {
    let config = load(
        r#"
bfd_instance b1 {
  neighbor_ip 10.0.0.2
}
vrrp_sync_group G1 {
  group { V }
  smtp_alert
}
vrrp_sync_group G2 {
  group { W }
}
vrrp_instance V {
  interface eth0
  virtual_router_id 3
  use_vmac
  track_bfd {
    b1
  }
  virtual_ipaddress { 10.0.0.100 }
}
vrrp_instance W {
  interface eth0
  virtual_router_id 4
  virtual_ipaddress { 10.0.0.101 }
}
"#,
    );
    assert_eq!(config.router.instances.len(), 2);
    assert_eq!(config.router.instances[0].interface, "eth0");
    assert!(
        !config.warnings.iter().any(|w| w.contains("use_vmac")),
        "{:?}",
        config.warnings
    );
    assert!(config.warnings.is_empty(), "{:?}", config.warnings);
    // track_bfd, then the VMAC's own link (FAULT while it is down, weight 0).
    let trackers = &config.router.instances[0].trackers;
    let summary: Vec<_> = trackers
        .iter()
        .map(|t| (t.id.clone(), t.kind, t.weight))
        .collect();
    assert_eq!(
        summary,
        [
            (bfd_id("b1"), TrackerKind::State, 0),
            (vmac_link_id("V"), TrackerKind::State, 0)
        ]
    );
    assert!(config.router.instances[1].trackers.is_empty());
    assert_eq!(config.group_smtp_alert, ["G1"]);
}

// Input: two `use_vmac` instances on eth0, D with `dont_track_primary`, T without.
// Output: D's engine config does not track its interface and has no VMAC link tracker
// (spec §3.5); T tracks both.
#[test]
fn dont_track_primary_tracks_neither_the_interface_nor_the_vmac() {
    let config = load(
        r#"
vrrp_instance D {
  interface eth0
  virtual_router_id 5
  use_vmac
  dont_track_primary
  virtual_ipaddress { 10.0.0.105 }
}
vrrp_instance T {
  interface eth0
  virtual_router_id 6
  use_vmac
  virtual_ipaddress { 10.0.0.106 }
}
"#,
    );
    assert!(config.warnings.is_empty(), "{:?}", config.warnings);
    let (d, t) = (&config.router.instances[0], &config.router.instances[1]);
    assert_eq!((d.name.as_str(), d.track_primary), ("D", false));
    assert!(d.trackers.is_empty(), "{:?}", d.trackers);
    assert_eq!((t.name.as_str(), t.track_primary), ("T", true));
    let ids: Vec<_> = t.trackers.iter().map(|t| t.id.clone()).collect();
    assert_eq!(ids, [vmac_link_id("T")]);
}

// Input: global `vrrp_owner_ignore_adverts`; instance O (priority 255) leaves it alone,
// instance P says `owner_ignore_adverts false`, instance Q has `owner_ignore_adverts` with
// no global default in a second configuration.
// Output: O and Q ignore adverts as owners (keel-vrrp's receive tests pin what that does),
// P does not.
#[test]
fn owner_ignore_adverts_instance_over_global() {
    let config = load(
        r#"
global_defs {
  vrrp_owner_ignore_adverts
}
vrrp_instance O {
  interface eth0
  virtual_router_id 1
  priority 255
  virtual_ipaddress { 10.0.0.100 }
}
vrrp_instance P {
  interface eth0
  virtual_router_id 2
  priority 255
  owner_ignore_adverts false
  virtual_ipaddress { 10.0.0.101 }
}
"#,
    );
    let ignore = per_instance(&config, |i| i.owner_ignore_adverts);
    assert_eq!(ignore, [true, false]);
    let config = load(
        r#"
vrrp_instance Q {
  interface eth0
  virtual_router_id 3
  priority 255
  owner_ignore_adverts
  virtual_ipaddress { 10.0.0.102 }
}
vrrp_instance R {
  interface eth0
  virtual_router_id 4
  priority 255
  virtual_ipaddress { 10.0.0.103 }
}
"#,
    );
    let ignore = per_instance(&config, |i| i.owner_ignore_adverts);
    assert_eq!(ignore, [true, false]);
}

// Input: global `vrrp_notify_priority_changes`; instance A leaves it, B says
// `notify_priority_changes false`.
// Output: A sends BACKUP_PRIORITY/MASTER_PRIORITY notifications, B does not.
#[test]
fn notify_priority_changes_instance_over_global() {
    let config = load(
        r#"
global_defs {
  vrrp_notify_priority_changes
}
vrrp_instance A {
  interface eth0
  virtual_router_id 1
  virtual_ipaddress { 10.0.0.100 }
}
vrrp_instance B {
  interface eth0
  virtual_router_id 2
  notify_priority_changes false
  virtual_ipaddress { 10.0.0.101 }
}
"#,
    );
    let changes = per_instance(&config, |i| i.notify.priority_changes);
    assert_eq!(changes, [true, false]);
}

// Input: bfd_instance b1 (weight 15 reverse), b2 (`checker` only); a sync group tracking
// b1 with its default weight, an instance tracking b1 with `weight -30` and b2.
// Output: spec §3.5: the group's tracker takes the bfd_instance's weight and reverse, the
// instance's line overrides the weight (without `reverse` on the line, the
// bfd_instance's reverse stays, as for track_script);
// b2 sends no events to VRRP, so it is not tracked.
#[test]
fn track_bfd_weights_come_from_the_line_else_the_bfd_instance() {
    let config = load(
        r#"
bfd_instance b1 {
  neighbor_ip 10.0.0.2
  weight 15 reverse
}
bfd_instance b2 {
  neighbor_ip 10.0.0.3
  checker
}
vrrp_sync_group G {
  group { V }
  track_bfd {
    b1
  }
}
vrrp_instance V {
  interface eth0
  virtual_router_id 3
  virtual_ipaddress { 10.0.0.100 }
  track_bfd {
    b1 weight -30
    b2
  }
}
"#,
    );
    let group = &config.router.sync_groups[0].trackers;
    assert_eq!(group.len(), 1);
    assert_eq!((group[0].weight, group[0].reverse), (15, true));
    let instance = &config.router.instances[0].trackers;
    assert_eq!(instance.len(), 1, "{instance:?}");
    assert_eq!(instance[0].id, bfd_id("b1"));
    assert_eq!((instance[0].weight, instance[0].reverse), (-30, true));
}

// Input: VIPs on eth0 (the instance interface), `dev eth1`, `dev eth2 no_track`, `dev eth1`
// again, an eVIP `dev eth3`, and one `dev eth4 use_vmac` (a VMAC of its own).
// Output: weight-0 interface trackers for eth1 and eth3 only (once each), both watched by
// the daemon; keepalived 2.2.7 faults on a tracked VIP interface going down.
#[test]
fn a_vips_own_interface_is_tracked_unless_no_track_or_on_a_vmac() {
    let config = load(
        r#"
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 1
  virtual_ipaddress {
    10.0.0.100
    10.1.0.100/24 dev eth1
    10.2.0.100/24 dev eth2 no_track
    10.1.0.101/24 dev eth1
    10.4.0.100/24 dev eth4 use_vmac
  }
  virtual_ipaddress_excluded {
    10.3.0.100/24 dev eth3
  }
}
"#,
    );
    let instance = &config.router.instances[0];
    let interfaces: Vec<(String, i32)> = instance
        .trackers
        .iter()
        .filter(|t| t.id.0.starts_with("interface:"))
        .map(|t| (t.id.0.clone(), t.weight))
        .collect();
    assert_eq!(
        interfaces,
        [(interface_id("eth1").0, 0), (interface_id("eth3").0, 0)]
    );
    let watched: Vec<&str> = config
        .track_interfaces
        .iter()
        .map(|(_, name)| name.as_str())
        .collect();
    assert_eq!(watched, ["eth1", "eth3"]);
}
