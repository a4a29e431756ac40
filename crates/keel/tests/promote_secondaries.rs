//! `promote_secondaries` (spec §2.6): keepalived 2.2.7 sets the `promote_secondaries`
//! sysctl of the interface its VIPs go on (the instance interface, or its VMAC with
//! `use_vmac`) to 1 while it runs and puts the old value back when it stops. keel beside
//! keepalived on the same host and configuration. Needs root.

mod vrrp_lab;

use std::time::Duration;

use keel_lab::Host;
use vrrp_lab::{Daemon, lab, serial, start, stop, wait_until};

fn config(vmac: &str) -> String {
    format!(
        "vrrp_instance VI_1 {{\n  state BACKUP\n  interface e0\n  virtual_router_id 51\n  \
         priority 100\n  {vmac}\n  promote_secondaries\n  virtual_ipaddress {{\n    \
         10.88.0.100/24\n  }}\n}}\n"
    )
}

/// `promote_secondaries` of `interface` on `host` ("" when the interface is gone).
fn sysctl(host: &Host, interface: &str) -> String {
    let out = host.ns.sh(&format!(
        "cat /proc/sys/net/ipv4/conf/{interface}/promote_secondaries 2>/dev/null"
    ));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// (e0, vrrp.51) before `daemon` starts, while it runs, and after it stopped.
fn observe(
    daemon: Daemon,
    host: &Host,
    dir: &std::path::Path,
    vmac: &str,
) -> Vec<(String, String)> {
    let both = || (sysctl(host, "e0"), sysctl(host, "vrrp.51"));
    let mut seen = vec![both()];
    let name = format!("{daemon:?}{}", vmac.len());
    let mut router = start(daemon, host, dir, &name, &config(vmac));
    let settled = wait_until(Duration::from_secs(5), || {
        if vmac.is_empty() {
            sysctl(host, "e0") == "1"
        } else {
            sysctl(host, "vrrp.51") == "1"
        }
    });
    assert!(settled.is_some(), "{name}: not set\n{}", router.log_text());
    seen.push(both());
    stop(daemon, &mut router, host);
    seen.push(both());
    seen
}

// Input: keepalived 2.2.7, then keel, with `promote_secondaries` on e0; then both again with
// `use_vmac` added. The sysctl is 0 on e0 before each run.
// Output: keel leaves the same values as keepalived at each point: without a VMAC e0 goes
// 0 → 1 → 0; with one, e0 stays 0 and the VMAC has 1 while it exists.
#[test]
fn promote_secondaries_is_set_while_running_as_keepalived_does() {
    let _serial = serial();
    let (lab, dir) = lab("kpsec", 1);
    let host = lab.host(0);
    let text = |values: &[(&str, &str)]| -> Vec<(String, String)> {
        values
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    };
    for vmac in ["", "use_vmac"] {
        let keepalived = observe(Daemon::Keepalived, host, dir.path(), vmac);
        let keel = observe(Daemon::Keel, host, dir.path(), vmac);
        let expected = if vmac.is_empty() {
            text(&[("0", ""), ("1", ""), ("0", "")])
        } else {
            text(&[("0", ""), ("0", "1"), ("0", "")])
        };
        assert_eq!(keepalived, expected, "keepalived, {vmac:?}");
        assert_eq!(keel, keepalived, "keel, {vmac:?}");
    }
}
