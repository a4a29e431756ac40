//! keel next to Debian's keepalived 2.2.7 on one bridge: they elect one master, the backup
//! takes over within 3 × advert_int + skew (+2%) when the master is SIGKILLed, and the
//! higher-priority router preempts back — for VRRPv2 + PASS, VRRPv3 over IPv4 and IPv6, and
//! unicast, with either daemon as master.
//!
//! Needs root, keepalived, tcpdump.

mod vrrp_lab;

use std::time::Duration;

use keel_lab::Host;
use vrrp_lab::{
    Daemon, adverts, down_interval, epoch, failover_gap, holds, lab, serial, start, wait_until,
};

#[derive(Clone, Copy, PartialEq)]
enum Flavour {
    V2Pass,
    V3Ipv4,
    V3Ipv6,
    V3Unicast,
}

fn config(flavour: Flavour, state: &str, priority: u8, own: &str, peer: &str) -> String {
    let (global, vip, extra) = match flavour {
        Flavour::V2Pass => (
            "",
            "10.88.0.100/24",
            "  authentication {\n    auth_type PASS\n    auth_pass s3cret\n  }\n".to_string(),
        ),
        Flavour::V3Ipv4 => ("  vrrp_version 3\n", "10.88.0.100/24", String::new()),
        Flavour::V3Ipv6 => ("  vrrp_version 3\n", "fd00:88::100/64", String::new()),
        Flavour::V3Unicast => (
            "  vrrp_version 3\n",
            "10.88.0.100/24",
            format!("  unicast_src_ip {own}\n  unicast_peer {{\n    {peer}\n  }}\n"),
        ),
    };
    format!(
        "global_defs {{\n{global}  vrrp_garp_master_delay 0\n}}\n\
         vrrp_instance VI_1 {{\n  state {state}\n  interface e0\n  virtual_router_id 61\n  \
         priority {priority}\n  advert_int 1\n  virtual_ipaddress {{\n    {vip}\n  }}\n{extra}}}\n"
    )
}

fn vip(flavour: Flavour) -> &'static str {
    if flavour == Flavour::V3Ipv6 {
        "fd00:88::100"
    } else {
        "10.88.0.100"
    }
}

/// The address a host's adverts come from on the wire.
fn advert_source(flavour: Flavour, host: &Host, index: usize) -> String {
    if flavour == Flavour::V3Ipv6 {
        host.link_local()
    } else {
        format!("10.88.0.{}", index + 1)
    }
}

/// Input: `master` (150, MASTER) on host 0 and `backup` (100) on host 1 speaking `flavour`.
/// Output: host 0 alone holds the VIP; after its SIGKILL host 1 holds it, the wire gap is
/// within 2% of 3 × 1 s + skew(100); restarted, host 0 preempts back and host 1 lets go.
fn interop(flavour: Flavour, master: Daemon, backup: Daemon, prefix: &str) {
    let _serial = serial();
    let (lab, dir) = lab(prefix, 2);
    let (h0, h1) = (lab.host(0), lab.host(1));
    if flavour == Flavour::V3Ipv6 {
        h0.add_address("fd00:88::1/64");
        h1.add_address("fd00:88::2/64");
    }
    let (s0, s1) = (advert_source(flavour, h0, 0), advert_source(flavour, h1, 1));
    let vip = vip(flavour);
    let mut capture = lab.capture("ip proto 112 or ip6 proto 112");
    let c0 = config(flavour, "MASTER", 150, "10.88.0.1", "10.88.0.2");
    let c1 = config(flavour, "BACKUP", 100, "10.88.0.2", "10.88.0.1");
    let mut r0 = start(master, h0, dir.path(), "r0", &c0);
    let r1 = start(backup, h1, dir.path(), "r1", &c1);
    assert!(
        wait_until(Duration::from_secs(10), || holds(h0, vip)
            && !holds(h1, vip))
        .is_some(),
        "host 0 never became the only master\nr0: {}\nr1: {}",
        r0.log_text(),
        r1.log_text()
    );
    std::thread::sleep(Duration::from_millis(1500));
    assert!(holds(h0, vip) && !holds(h1, vip), "exactly one holder");

    let killed_at = epoch();
    r0.kill();
    assert!(
        wait_until(Duration::from_secs(8), || holds(h1, vip)).is_some(),
        "host 1 never took over\nr1: {}",
        r1.log_text()
    );
    std::thread::sleep(Duration::from_millis(500));
    let _r0 = start(master, h0, dir.path(), "r0-again", &c0);
    assert!(
        wait_until(Duration::from_secs(10), || holds(h0, vip)
            && !holds(h1, vip))
        .is_some(),
        "host 0 did not preempt back\nr1: {}",
        r1.log_text()
    );
    capture.stop();
    let seen = adverts(capture.file());
    let gap = failover_gap(&seen, &s0, &s1, killed_at).expect("both adverts captured");
    let ratio = gap / down_interval(1.0, 100);
    println!("{master:?} → {backup:?}: gap {gap:.4} s, ratio {ratio:.4}");
    assert!(
        (0.98..=1.02).contains(&ratio),
        "ratio {ratio} (gap {gap} s)"
    );
}

#[test]
fn v2_pass_keel_master_keepalived_backup() {
    interop(Flavour::V2Pass, Daemon::Keel, Daemon::Keepalived, "kia");
}

#[test]
fn v2_pass_keepalived_master_keel_backup() {
    interop(Flavour::V2Pass, Daemon::Keepalived, Daemon::Keel, "kib");
}

#[test]
fn v3_ipv4_keepalived_master_keel_backup() {
    interop(Flavour::V3Ipv4, Daemon::Keepalived, Daemon::Keel, "kic");
}

#[test]
fn v3_ipv6_keel_master_keepalived_backup() {
    interop(Flavour::V3Ipv6, Daemon::Keel, Daemon::Keepalived, "kid");
}

#[test]
fn v3_ipv6_keepalived_master_keel_backup() {
    interop(Flavour::V3Ipv6, Daemon::Keepalived, Daemon::Keel, "kie");
}

#[test]
fn v3_unicast_keel_master_keepalived_backup() {
    interop(Flavour::V3Unicast, Daemon::Keel, Daemon::Keepalived, "kif");
}

#[test]
fn v3_unicast_keepalived_master_keel_backup() {
    interop(Flavour::V3Unicast, Daemon::Keepalived, Daemon::Keel, "kig");
}
