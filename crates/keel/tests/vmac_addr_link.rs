//! A `use_vmac` + `use_vmac_addr` MASTER whose VMACs someone sets down, up again, or
//! deletes (spec §3.10, §3.3 FAULT), keel beside keepalived 2.2.7 on the same host and the
//! same steps. `use_vmac_addr` puts the VIP written `dev x1` on a VMAC of its own on x1
//! (`vrrp1.53`: `vrrp.53` is the instance's own VMAC on e0). keepalived 2.2.7 tracks that
//! VMAC as a VIP's interface: set down, the instance goes FAULT and drops every VIP; up
//! again, BACKUP then MASTER with every VIP back; deleted, FAULT, and keepalived never makes
//! it again (the instance stayed in FAULT for the 4 s watched here, over 10 s by hand). keel makes it again and the
//! instance comes back to MASTER with every VIP, as it does when the instance's own VMAC is
//! deleted. Needs root.

mod vrrp_lab;

use std::path::Path;
use std::time::Duration;

use keel_lab::Host;
use vrrp_lab::{Daemon, fifo_copy_script, holds_on, lab, serial, start, stop, wait_until};

/// The VIP on e0's side, on the instance's own VMAC `vrrp.53`.
const VIP: &str = "10.88.0.100";
/// The VIP written `dev x1`, on the `use_vmac_addr` VMAC `vrrp1.53`.
const X1_VIP: &str = "10.98.0.100";
/// The virtual MAC of VRID 53, which both VMACs carry.
const MAC: &str = "00:00:5e:00:01:35";

/// VI_1 (VRID 53) with `use_vmac` and `use_vmac_addr`, VRRPv3 at 0.2 s so each step settles
/// in about a second.
fn config(globals: &str) -> String {
    format!(
        "global_defs {{\n  {globals}\n}}\n\
         vrrp_instance VI_1 {{\n  state MASTER\n  interface e0\n  virtual_router_id 53\n  \
         priority 150\n  version 3\n  advert_int 0.2\n  use_vmac\n  use_vmac_addr\n  \
         virtual_ipaddress {{\n    {VIP}/24\n    {X1_VIP}/24 dev x1\n  }}\n}}\n"
    )
}

fn has_link(host: &Host, name: &str) -> bool {
    host.ns
        .ip_output(&["link", "show", "dev", name])
        .status
        .success()
}

/// Whether both VIPs are where `use_vmac_addr` puts them.
fn holds_both(host: &Host) -> bool {
    holds_on(host, "vrrp.53", VIP) && holds_on(host, "vrrp1.53", X1_VIP)
}

/// Whether `host` holds neither VIP anywhere.
fn holds_none(host: &Host) -> bool {
    let shown = host.ns.ip(&["-o", "addr"]);
    !shown.contains(&format!(" {VIP}/")) && !shown.contains(&format!(" {X1_VIP}/"))
}

/// The states of VI_1 the notify FIFO carried, in order (`INSTANCE "VI_1" FAULT 150` →
/// `FAULT`).
fn fifo_states(copy: &Path) -> Vec<String> {
    std::fs::read_to_string(copy)
        .unwrap_or_default()
        .lines()
        .filter_map(|line| line.strip_prefix("INSTANCE \"VI_1\" "))
        .filter_map(|rest| rest.split_whitespace().next())
        .map(str::to_string)
        .collect()
}

/// What one daemon did, step by step.
struct Observed {
    /// The FIFO's states after each step.
    states: Vec<Vec<String>>,
    /// `vrrp1.53`'s MAC once the last step was over, if it was there again.
    remade: Option<String>,
    /// How long after `vrrp1.53` was deleted the daemon was MASTER with both VIPs again.
    back: Option<Duration>,
    log: String,
}

/// The steps, with the FIFO states each adds and whether the host then holds both VIPs.
const DOWN: (&[&str], bool) = (&["FAULT"], false);
const UP: (&[&str], bool) = (&["BACKUP", "MASTER"], true);
const OWN_DELETED: (&[&str], bool) = (&["FAULT", "BACKUP", "MASTER"], true);

/// Runs `daemon` alone on `host` as the MASTER through: `vrrp1.53` down, up, the own VMAC
/// `vrrp.53` deleted, then `vrrp1.53` deleted; then stops it. Each step is waited for up to
/// 4 s (master_down_interval is about 0.6 s), the last one too (the daemons part there).
fn run(daemon: Daemon, host: &Host, dir: &Path, name: &str) -> Observed {
    let fifo_dir = keel_lab::TempDir::new(name);
    let (script, copy) = fifo_copy_script(&fifo_dir);
    let fifo = dir.join(format!("{name}.fifo"));
    let globals = format!(
        "notify_fifo {}\n  notify_fifo_script {}",
        fifo.display(),
        script.display()
    );
    let mut router = start(daemon, host, dir, name, &config(&globals));
    let context = |router: &vrrp_lab::Router| {
        format!(
            "FIFO {:?}\n{}\n{}",
            fifo_states(&copy),
            host.ns.ip(&["-o", "addr"]),
            router.log_text()
        )
    };
    let mut expected: Vec<String> = Vec::new();
    let mut states = Vec::new();
    let mut reach = |router: &vrrp_lab::Router, (added, master): (&[&str], bool), step: &str| {
        expected.extend(added.iter().map(|s| s.to_string()));
        let done = wait_until(Duration::from_secs(4), || {
            fifo_states(&copy) == expected
                && if master {
                    holds_both(host)
                } else {
                    holds_none(host)
                }
        });
        assert!(
            done.is_some(),
            "{name}, {step}: not {expected:?} with {}:\n{}",
            if master { "both VIPs" } else { "no VIP" },
            context(router)
        );
        states.push(fifo_states(&copy));
    };

    // Input: the daemon starts as MASTER.
    // Output: BACKUP (init), then MASTER with VIP on vrrp.53 and X1_VIP on vrrp1.53.
    reach(&router, (&["BACKUP", "MASTER"], true), "start");
    assert_eq!(host.ns.link_mac("vrrp1.53"), MAC);

    // Input: `ip link set vrrp1.53 down`.
    // Output: FAULT, both VIPs gone.
    host.ns.ip(&["link", "set", "vrrp1.53", "down"]);
    reach(&router, DOWN, "vrrp1.53 down");

    // Input: `ip link set vrrp1.53 up`.
    // Output: BACKUP, then MASTER with both VIPs.
    host.ns.ip(&["link", "set", "vrrp1.53", "up"]);
    reach(&router, UP, "vrrp1.53 up");

    // Input: `ip link del vrrp.53` (the instance's own VMAC).
    // Output: FAULT, vrrp.53 made again, BACKUP, MASTER with both VIPs.
    host.ns.ip(&["link", "del", "vrrp.53"]);
    reach(&router, OWN_DELETED, "vrrp.53 deleted");

    // Input: `ip link del vrrp1.53` (the use_vmac_addr VMAC).
    // Output: FAULT; then watched for up to 4 s: whether the daemon comes back to MASTER
    // with vrrp1.53 made again, holding its VIP.
    host.ns.ip(&["link", "del", "vrrp1.53"]);
    let deleted = std::time::Instant::now();
    let back = wait_until(Duration::from_secs(4), || {
        fifo_states(&copy).last().map(String::as_str) == Some("MASTER") && holds_both(host)
    });
    states.push(fifo_states(&copy));
    let remade = has_link(host, "vrrp1.53").then(|| host.ns.link_mac("vrrp1.53"));
    let observed = Observed {
        states,
        remade,
        back: back.map(|_| deleted.elapsed()),
        log: context(&router),
    };
    stop(daemon, &mut router, host);
    observed
}

// Input: keepalived 2.2.7, then keel, as the MASTER (alone) of VI_1 with `use_vmac` and
// `use_vmac_addr`, VIPs 10.88.0.100/24 (on vrrp.53) and 10.98.0.100/24 dev x1 (on
// vrrp1.53); then: `ip link set vrrp1.53 down`, `... up`, `ip link del vrrp.53`, `ip link
// del vrrp1.53`.
// Output: keel's FIFO states step by step are keepalived's (BACKUP MASTER | FAULT | BACKUP
// MASTER | FAULT BACKUP MASTER | FAULT), each step with both VIPs in place or none; both log
// "Netlink reports vrrp1.53 down/up" and "Interface vrrp1.53 deleted". At the last step
// keepalived stays in FAULT without vrrp1.53; keel makes vrrp1.53 again (same MAC) and is
// MASTER with both VIPs within 4 s of the deletion.
#[test]
fn a_use_vmac_addr_vmac_down_or_deleted_faults_and_comes_back_with_its_vips() {
    let _serial = serial();
    let (lab, dir) = lab("kvmaddrl", 1);
    let host = lab.host(0);
    vrrp_lab::add_link(host, "x1", Some("10.98.0.1/24"));

    let keepalived = run(Daemon::Keepalived, host, dir.path(), "keepalived");
    let keel = run(Daemon::Keel, host, dir.path(), "keel");

    // The steps both daemons take alike.
    let (keepalived_last, keepalived_steps) = keepalived.states.split_last().expect("5 steps");
    let (keel_last, keel_steps) = keel.states.split_last().expect("5 steps");
    assert_eq!(keel_steps, keepalived_steps, "{}", keel.log);
    // keepalived 2.2.7 at the last step: FAULT, and neither vrrp1.53 nor MASTER again.
    let mut faulted = keepalived_steps.last().expect("5 steps").clone();
    faulted.push("FAULT".to_string());
    assert_eq!(keepalived_last, &faulted, "{}", keepalived.log);
    assert_eq!(keepalived.remade, None, "{}", keepalived.log);
    assert_eq!(keepalived.back, None, "{}", keepalived.log);
    // keel: the same FAULT, then vrrp1.53 again with the virtual MAC, BACKUP and MASTER
    // with both VIPs, well within the 4 s watched.
    faulted.extend(["BACKUP".to_string(), "MASTER".to_string()]);
    assert_eq!(keel_last, &faulted, "{}", keel.log);
    assert_eq!(keel.remade.as_deref(), Some(MAC), "{}", keel.log);
    assert!(
        keel.back.is_some_and(|back| back < Duration::from_secs(3)),
        "{:?}\n{}",
        keel.back,
        keel.log
    );
    for line in [
        "Netlink reports vrrp1.53 down",
        "Netlink reports vrrp1.53 up",
        "Interface vrrp1.53 deleted",
    ] {
        assert!(
            keepalived.log.contains(line),
            "keepalived: {line}\n{}",
            keepalived.log
        );
        assert!(keel.log.contains(line), "keel: {line}\n{}", keel.log);
    }
}
