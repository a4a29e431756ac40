//! VMAC names that are already taken (spec §3.10): keepalived's fallback from
//! `vrrp.<VRID>` to `vrrp<N>.<VRID>` (IPv6 first `vrrp6.<VRID>`), and a configured
//! `use_vmac NAME` that another interface holds. keepalived 2.2.7 run by hand on the same
//! setups made the same names (vrrp.51 for a taken vmac7, vrrp1.52 and vrrp6.52 beside a
//! veth vrrp.52) and logged the same error. Needs root.

mod vrrp_lab;

use std::time::Duration;

use keel_lab::Host;
use vrrp_lab::{Daemon, holds_on, lab, serial, start, wait_until};

fn has_link(host: &Host, name: &str) -> bool {
    host.ns
        .ip_output(&["link", "show", "dev", name])
        .status
        .success()
}

// Input: the host already has a veth named vrrp.51; keel runs VI_4 (IPv4, VRID 51) and
// VI_6 (IPv6, VRID 51), both with use_vmac, both MASTER; then SIGTERM.
// Output: VI_4 gets vrrp1.51 (MAC 00:00:5e:00:01:33) and VI_6 gets vrrp6.51 (MAC
// 00:00:5e:00:02:33), each holding its VIP; the veth vrrp.51 is left alone, and after the
// stop the two VMACs are gone and the veth is still there.
#[test]
fn taken_default_names_fall_back_as_keepalived_does() {
    let _serial = serial();
    let (lab, dir) = lab("kvmname", 1);
    let host = lab.host(0);
    host.ns.ip(&[
        "link", "add", "vrrp.51", "type", "veth", "peer", "name", "p51",
    ]);
    let config = "vrrp_instance VI_4 {\n  state MASTER\n  interface e0\n  virtual_router_id 51\n  \
                  priority 150\n  advert_int 1\n  use_vmac\n  \
                  virtual_ipaddress {\n    10.88.0.100/24\n  }\n}\n\
                  vrrp_instance VI_6 {\n  state MASTER\n  interface e0\n  virtual_router_id 51\n  \
                  priority 150\n  advert_int 1\n  use_vmac\n  \
                  virtual_ipaddress {\n    fd00::100/64\n  }\n}\n";
    let mut keel = start(Daemon::Keel, host, dir.path(), "keel", config);
    assert!(
        wait_until(Duration::from_secs(8), || {
            holds_on(host, "vrrp1.51", "10.88.0.100") && holds_on(host, "vrrp6.51", "fd00::100")
        })
        .is_some(),
        "VIPs not on vrrp1.51 / vrrp6.51:\n{}\n{}",
        host.ns.ip(&["-o", "addr"]),
        keel.log_text()
    );
    assert_eq!(host.ns.link_mac("vrrp1.51"), "00:00:5e:00:01:33");
    assert_eq!(host.ns.link_mac("vrrp6.51"), "00:00:5e:00:02:33");
    assert_ne!(host.ns.link_mac("vrrp.51"), "00:00:5e:00:01:33");
    assert!(!holds_on(host, "vrrp.51", "10.88.0.100"));

    let status = keel.stop(Duration::from_secs(10)).expect("keel stops");
    assert!(status.success());
    assert!(!has_link(host, "vrrp1.51"), "{}", keel.log_text());
    assert!(!has_link(host, "vrrp6.51"), "{}", keel.log_text());
    assert!(has_link(host, "vrrp.51"), "the veth was removed");
}

// Input: `use_vmac vmac7` while a veth vmac7 exists.
// Output: keel reports keepalived 2.2.7's error ("interface vmac7 already exists and is not
// a private macvlan; ignoring vmac if_name") and runs the instance on the default vrrp.51 instead, holding
// the VIP there; vmac7 is left alone.
#[test]
fn a_taken_configured_name_is_ignored() {
    let _serial = serial();
    let (lab, dir) = lab("kvmconf", 1);
    let host = lab.host(0);
    host.ns
        .ip(&["link", "add", "vmac7", "type", "veth", "peer", "name", "p7"]);
    let config = "vrrp_instance VI_1 {\n  state MASTER\n  interface e0\n  virtual_router_id 51\n  \
                  priority 150\n  advert_int 1\n  use_vmac vmac7\n  \
                  virtual_ipaddress {\n    10.88.0.100/24\n  }\n}\n";
    let keel = start(Daemon::Keel, host, dir.path(), "keel", config);
    assert!(
        wait_until(Duration::from_secs(8), || holds_on(
            host,
            "vrrp.51",
            "10.88.0.100"
        ))
        .is_some(),
        "VIP not on vrrp.51:\n{}",
        keel.log_text()
    );
    assert_eq!(host.ns.link_mac("vrrp.51"), "00:00:5e:00:01:33");
    assert!(has_link(host, "vmac7"));
    assert!(!holds_on(host, "vmac7", "10.88.0.100"));
    assert!(
        keel.log_text().contains(
            "(VI_1) interface vmac7 already exists and is not a private macvlan; ignoring vmac if_name"
        ),
        "{}",
        keel.log_text()
    );
}

// Input: a second interface x1 on the host; VI_1 (VRID 53) with use_vmac and
// use_vmac_addr, VIPs 10.88.0.100/24 and 10.98.0.100/24 dev x1; VI_2 (VRID 54) with
// use_vmac_addr alone, VIPs 10.88.0.101/24 and 10.98.0.101/24 dev x1; both MASTER; then
// SIGTERM. (keepalived 2.2.7, run by hand on the same setup, made the same interfaces.)
// Output: VI_1 holds .100 on vrrp.53 (e0) and 10.98.0.100 on vrrp1.53 (x1: vrrp.53 is
// taken), both with MAC 00:00:5e:00:01:35; VI_2 holds .101 on e0 itself and 10.98.0.101 on
// vrrp.54 (x1, MAC 00:00:5e:00:01:36); after the stop the three VMACs are gone.
#[test]
fn use_vmac_addr_puts_other_interfaces_vips_on_their_own_vmacs() {
    let _serial = serial();
    let (lab, dir) = lab("kvmaddr", 1);
    let host = lab.host(0);
    vrrp_lab::add_link(host, "x1", None);
    let config = "vrrp_instance VI_1 {\n  state MASTER\n  interface e0\n  virtual_router_id 53\n  \
                  priority 150\n  advert_int 1\n  use_vmac\n  use_vmac_addr\n  \
                  virtual_ipaddress {\n    10.88.0.100/24\n    10.98.0.100/24 dev x1\n  }\n}\n\
                  vrrp_instance VI_2 {\n  state MASTER\n  interface e0\n  virtual_router_id 54\n  \
                  priority 150\n  advert_int 1\n  use_vmac_addr\n  \
                  virtual_ipaddress {\n    10.88.0.101/24\n    10.98.0.101/24 dev x1\n  }\n}\n";
    let mut keel = start(Daemon::Keel, host, dir.path(), "keel", config);
    assert!(
        wait_until(Duration::from_secs(8), || {
            holds_on(host, "vrrp.53", "10.88.0.100")
                && holds_on(host, "vrrp1.53", "10.98.0.100")
                && holds_on(host, "e0", "10.88.0.101")
                && holds_on(host, "vrrp.54", "10.98.0.101")
        })
        .is_some(),
        "VIPs not where keepalived puts them:\n{}\n{}",
        host.ns.ip(&["-o", "addr"]),
        keel.log_text()
    );
    assert_eq!(host.ns.link_mac("vrrp.53"), "00:00:5e:00:01:35");
    assert_eq!(host.ns.link_mac("vrrp1.53"), "00:00:5e:00:01:35");
    assert_eq!(host.ns.link_mac("vrrp.54"), "00:00:5e:00:01:36");
    let parent = host.ns.ip(&["-o", "link", "show", "dev", "vrrp1.53"]);
    assert!(parent.contains("vrrp1.53@x1"), "{parent}");
    assert!(!holds_on(host, "x1", "10.98.0.100"));

    let status = keel.stop(Duration::from_secs(10)).expect("keel stops");
    assert!(status.success(), "{}", keel.log_text());
    for name in ["vrrp.53", "vrrp1.53", "vrrp.54"] {
        assert!(!has_link(host, name), "{name} left\n{}", keel.log_text());
    }
}

/// The link group `ip -d link show` reports for `name` ("default" is group 0).
fn link_group(host: &Host, name: &str) -> String {
    let out = host.ns.ip_output(&["-d", "link", "show", "dev", name]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut words = text.split_whitespace();
    while let Some(word) = words.next() {
        if word == "group" {
            return words.next().unwrap_or_default().to_string();
        }
    }
    panic!("no group in: {text}")
}

// Input: the parent e0 is in link group 5; VI_1 has a plain `use_vmac`, VI_2 has
// `use_vmac vmac52 group 9` (spec §3.10: the VMAC's link group is the configured one, else
// the parent's).
// Output: vrrp.51 is in group 5, vmac52 in group 9, each holding its VIP.
#[test]
fn vmacs_take_the_configured_or_the_parents_link_group() {
    let _serial = serial();
    let (lab, dir) = lab("kvmgrp", 1);
    let host = lab.host(0);
    host.ns.ip(&["link", "set", "e0", "group", "5"]);
    let config = "vrrp_instance VI_1 {\n  state MASTER\n  interface e0\n  virtual_router_id 51\n  \
                  priority 150\n  advert_int 1\n  use_vmac\n  \
                  virtual_ipaddress {\n    10.88.0.100/24\n  }\n}\n\
                  vrrp_instance VI_2 {\n  state MASTER\n  interface e0\n  virtual_router_id 52\n  \
                  priority 150\n  advert_int 1\n  use_vmac vmac52 group 9\n  \
                  virtual_ipaddress {\n    10.88.0.101/24\n  }\n}\n";
    let mut keel = start(Daemon::Keel, host, dir.path(), "keel", config);
    assert!(
        wait_until(Duration::from_secs(8), || {
            holds_on(host, "vrrp.51", "10.88.0.100") && holds_on(host, "vmac52", "10.88.0.101")
        })
        .is_some(),
        "VIPs not on vrrp.51 / vmac52:\n{}\n{}",
        host.ns.ip(&["-o", "addr"]),
        keel.log_text()
    );
    assert_eq!(link_group(host, "vrrp.51"), "5");
    assert_eq!(link_group(host, "vmac52"), "9");
    let status = keel.stop(Duration::from_secs(10)).expect("keel stops");
    assert!(status.success());
}
