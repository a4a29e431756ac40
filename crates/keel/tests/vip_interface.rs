//! A VIP written `dev x1` on another interface than the instance's (spec §2.6
//! `virtual_ipaddress`, §3.3 FAULT): keepalived 2.2.7 tracks that interface as it does the
//! instance's own. Set down, the MASTER goes FAULT and drops its VIPs; set up, it comes back
//! (BACKUP, then MASTER with every VIP). With `no_track` on that VIP nothing changes. keel
//! beside keepalived on the same host and steps. Needs root.

mod vrrp_lab;

use std::path::Path;
use std::time::Duration;

use keel_lab::Host;
use vrrp_lab::{Daemon, Router, holds, holds_on, lab, serial, start, stop, wait_until};

const VIP: &str = "10.88.0.100";
const X1_VIP: &str = "10.98.0.100";

/// VI_1 as MASTER on e0 with one VIP there and one `dev x1` (with `option`, e.g.
/// `no_track`).
fn config(option: &str) -> String {
    format!(
        "vrrp_instance VI_1 {{\n  state MASTER\n  interface e0\n  virtual_router_id 51\n  \
         priority 150\n  version 3\n  advert_int 0.2\n  virtual_ipaddress {{\n    \
         {VIP}/24\n    {X1_VIP}/24 dev x1 {option}\n  }}\n}}\n"
    )
}

fn holds_both(host: &Host) -> bool {
    holds(host, VIP) && holds_on(host, "x1", X1_VIP)
}

fn holds_none(host: &Host) -> bool {
    !holds(host, VIP) && !holds_on(host, "x1", X1_VIP)
}

fn count(router: &Router, text: &str) -> usize {
    router.log_text().matches(text).count()
}

/// What one daemon did when x1 went down and up again.
#[derive(Debug, PartialEq)]
struct Seen {
    /// FAULT with no VIP within 2 s of x1 going down.
    faulted: bool,
    /// MASTER again with both VIPs within 8 s of x1 coming up.
    back: bool,
    /// MASTER with both VIPs all along (checked 2 s after down, and after up).
    undisturbed: bool,
}

fn run(daemon: Daemon, host: &Host, dir: &Path, option: &str) -> (Seen, String) {
    let name = format!("{daemon:?}{}", option.replace(' ', ""));
    let mut router = start(daemon, host, dir, &name, &config(option));
    let master = "(VI_1) Entering MASTER STATE";
    let fault = "(VI_1) Entering FAULT STATE";
    assert!(
        wait_until(Duration::from_secs(6), || count(&router, master) == 1
            && holds_both(host))
        .is_some(),
        "{name}: never MASTER with both VIPs\n{}",
        router.log_text()
    );
    host.ns.ip(&["link", "set", "x1", "down"]);
    let faulted = wait_until(Duration::from_secs(2), || {
        count(&router, fault) == 1 && holds_none(host)
    })
    .is_some();
    let mut undisturbed = !faulted && count(&router, fault) == 0;
    // x1 down takes the address of x1 with it in neither daemon: VIPs stay where they are.
    host.ns.ip(&["link", "set", "x1", "up"]);
    let back = faulted
        && wait_until(Duration::from_secs(8), || {
            count(&router, master) == 2 && holds_both(host)
        })
        .is_some();
    if undisturbed {
        std::thread::sleep(Duration::from_secs(1));
        undisturbed = count(&router, master) == 1 && count(&router, fault) == 0 && holds_both(host);
    }
    let log = router.log_text();
    stop(daemon, &mut router, host);
    (
        Seen {
            faulted,
            back,
            undisturbed,
        },
        log,
    )
}

// Input: keepalived 2.2.7, then keel, MASTER alone with VIPs 10.88.0.100/24 (e0) and
// 10.98.0.100/24 dev x1; x1 set down, then up. Then the same with `no_track` on the x1 VIP.
// Output: without `no_track` both daemons go FAULT with no VIP left, and come back to
// MASTER with both VIPs; with it both stay MASTER with both VIPs throughout.
#[test]
fn a_vips_own_interface_is_tracked_unless_no_track() {
    let _serial = serial();
    let (lab, dir) = lab("kvipif", 1);
    let host = lab.host(0);
    vrrp_lab::add_link(host, "x1", Some("10.98.0.1/24"));
    for (option, expected) in [
        (
            "",
            Seen {
                faulted: true,
                back: true,
                undisturbed: false,
            },
        ),
        (
            "no_track",
            Seen {
                faulted: false,
                back: false,
                undisturbed: true,
            },
        ),
    ] {
        for daemon in [Daemon::Keepalived, Daemon::Keel] {
            let (seen, log) = run(daemon, host, dir.path(), option);
            assert_eq!(seen, expected, "{daemon:?} `{option}`\n{log}");
        }
    }
}
