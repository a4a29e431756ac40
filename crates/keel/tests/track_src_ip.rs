//! `track_src_ip` (spec §2.6): a MASTER whose source address is removed from its interface
//! goes to FAULT, and comes back (BACKUP, then MASTER) once the address is added again;
//! keel beside keepalived 2.2.7 on the same host and steps. Without the keyword both do
//! the same when the address was the interface's only one. A daemon started while the interface has no address at all holds the instance
//! in FAULT, with the keyword or without, until one is added. Needs root.

mod vrrp_lab;

use std::time::Duration;

use keel_lab::Host;
use vrrp_lab::{Daemon, Router, holds, lab, serial, start, stop, wait_until};

/// VI_1 as MASTER on e0 (source 10.88.0.1, the host's address), its VIP in another subnet
/// so that removing the source address does not take the VIP with it.
fn config(track: bool) -> String {
    format!(
        "vrrp_instance VI_1 {{\n  state MASTER\n  interface e0\n  virtual_router_id 51\n  \
         priority 150\n  version 3\n  advert_int 0.2\n  {}\n  virtual_ipaddress {{\n    \
         10.89.0.100/24\n  }}\n}}\n",
        if track { "track_src_ip" } else { "" }
    )
}

fn count(router: &Router, text: &str) -> usize {
    router.log_text().matches(text).count()
}

/// Removes 10.88.0.1 from e0 once the daemon is MASTER, then adds it back; returns whether
/// it went FAULT while the address was gone and MASTER again once it was back.
fn run(daemon: Daemon, host: &Host, dir: &std::path::Path, track: bool) -> (bool, bool, String) {
    let name = format!("{daemon:?}{track}");
    let mut router = start(daemon, host, dir, &name, &config(track));
    let master = "(VI_1) Entering MASTER STATE";
    assert!(
        wait_until(Duration::from_secs(5), || count(&router, master) == 1).is_some(),
        "{name}: never MASTER\n{}",
        router.log_text()
    );
    host.ns.ip(&["addr", "del", "10.88.0.1/24", "dev", "e0"]);
    let fault = wait_until(Duration::from_secs(2), || {
        count(&router, "(VI_1) Entering FAULT STATE") == 1
    })
    .is_some();
    host.ns.ip(&["addr", "add", "10.88.0.1/24", "dev", "e0"]);
    let again = wait_until(Duration::from_secs(4), || count(&router, master) == 2).is_some();
    let log = router.log_text();
    stop(daemon, &mut router, host);
    (fault, again, log)
}

// Input: keepalived 2.2.7, then keel, each with `track_src_ip` and without it. Each time
// 10.88.0.1 (the source address, e0's only one) is removed from e0 while MASTER and added
// back.
// Output: each daemon, with the keyword or without, goes FAULT and becomes MASTER again
// (keepalived 2.2.7 without the keyword was seen to: an interface without an address of
// the family faults its instances).
#[test]
fn a_removed_source_address_faults_the_instance_as_keepalived_does() {
    let _serial = serial();
    let (lab, dir) = lab("ktsip", 1);
    let host = lab.host(0);
    for track in [true, false] {
        for daemon in [Daemon::Keepalived, Daemon::Keel] {
            let (fault, again, log) = run(daemon, host, dir.path(), track);
            assert!(
                fault && again,
                "{daemon:?}, track_src_ip {track}: FAULT {fault}, MASTER again {again}\n{log}"
            );
        }
    }
}

/// What an operator sees of a daemon started while e0 has no address.
struct StartedWithout {
    /// It said the instance entered FAULT.
    fault: bool,
    /// It held the VIP, or said MASTER, before the address was added.
    vip_while_missing: bool,
    /// MASTER, holding the VIP, once the address was added.
    master_after: bool,
    log: String,
}

/// Starts the daemon with 10.88.0.1, e0's only address (the source it would advertise
/// from), removed; adds it back 1.5 s after the daemon reported FAULT (or gave up).
fn start_without_address(
    daemon: Daemon,
    host: &Host,
    dir: &std::path::Path,
    track: bool,
) -> StartedWithout {
    let name = format!("{daemon:?}{track}-without");
    host.ns.ip(&["addr", "del", "10.88.0.1/24", "dev", "e0"]);
    let mut router = start(daemon, host, dir, &name, &config(track));
    // keepalived logs "(VI_1) entering FAULT state (no IPv4 address for interface)" and
    // "(VI_1) entering FAULT state" at start, keel "(VI_1) Entering FAULT STATE".
    let fault = wait_until(Duration::from_secs(3), || {
        router
            .log_text()
            .to_lowercase()
            .contains("(vi_1) entering fault state")
    })
    .is_some();
    // Far past Master_Down (3 × 0.2 s + skew): a MASTER would have the VIP by now.
    let vip_while_missing = wait_until(Duration::from_millis(1500), || {
        holds(host, "10.89.0.100") || count(&router, "(VI_1) Entering MASTER STATE") > 0
    })
    .is_some();
    host.ns.ip(&["addr", "add", "10.88.0.1/24", "dev", "e0"]);
    let master_after = wait_until(Duration::from_secs(4), || {
        count(&router, "(VI_1) Entering MASTER STATE") == 1 && holds(host, "10.89.0.100")
    })
    .is_some();
    let log = router.log_text();
    stop(daemon, &mut router, host);
    StartedWithout {
        fault,
        vip_while_missing,
        master_after,
        log,
    }
}

// Input: keepalived 2.2.7, then keel, each started with and without `track_src_ip` while
// e0 has no address (10.88.0.1, the source it would use, is removed first), the address
// added 1.5 s after the FAULT.
// Output: every run goes FAULT at start, holds no VIP and is not MASTER while the address is
// missing, and becomes MASTER with the VIP once it is added (keepalived 2.2.7: "(VI_1)
// entering FAULT state (no IPv4 address for interface)", then "Assigned address 10.88.0.1
// for interface e0", BACKUP, MASTER; the keyword made no difference).
#[test]
fn a_source_address_missing_at_start_faults_until_it_is_added_as_keepalived_does() {
    let _serial = serial();
    let (lab, dir) = lab("ktsis", 1);
    let host = lab.host(0);
    for (daemon, track) in [
        (Daemon::Keepalived, true),
        (Daemon::Keepalived, false),
        (Daemon::Keel, true),
        (Daemon::Keel, false),
    ] {
        let seen = start_without_address(daemon, host, dir.path(), track);
        assert!(
            seen.fault && !seen.vip_while_missing && seen.master_after,
            "{daemon:?} (track_src_ip {track}): FAULT {}, VIP or MASTER while missing {}, \
             MASTER with the VIP after {}\n{}",
            seen.fault,
            seen.vip_while_missing,
            seen.master_after,
            seen.log
        );
    }
}
