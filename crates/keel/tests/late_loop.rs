//! A backup whose loop runs late must not take over from a live master: the smallest form
//! of issue 4's split brain at 2,040 instances × 0.1 s, where the backup's loop fell behind
//! its sockets and acted on expired Master_Down timers before the adverts that had arrived
//! in time (RFC 5798 §6.4.2: each accepted advert restarts the timer).
//!
//! Needs root (network namespaces, raw sockets) and tcpdump.

mod vrrp_lab;

use std::time::Duration;

use vrrp_lab::{Daemon, adverts, holds, lab, serial, start};

const VIP: &str = "10.88.0.100";

fn config(state: &str, priority: u8) -> String {
    format!(
        "global_defs {{\n  vrrp_version 3\n  vrrp_garp_master_delay 0\n}}\n\
         vrrp_instance VI_1 {{\n  state {state}\n  interface e0\n  virtual_router_id 51\n  \
         priority {priority}\n  advert_int 0.1\n  virtual_ipaddress {{\n    {VIP}/24\n  }}\n}}\n"
    )
}

/// Input: r0 (200, MASTER) and, once r0 holds the VIP, r1 (100, BACKUP), at advert_int 0.1;
/// r1 is frozen (SIGSTOP) for 1 s, three times over: ten of r0's adverts queue in r1's
/// socket each time while r1's Master_Down timer (0.3 s + skew) expires; then r1 continues
/// (SIGCONT).
/// Output: r1 reads the queued adverts, stamped with their kernel arrival, before it acts on
/// the expired timer, so it never becomes MASTER: no advert from r1 on the wire, no VIP on
/// r1, r0 keeps the VIP throughout.
#[test]
fn a_backup_frozen_past_its_down_timer_does_not_take_over_when_it_resumes() {
    let _serial = serial();
    let (lab, dir) = lab("klate", 2);
    let (h0, h1) = (lab.host(0), lab.host(1));
    let r0 = start(Daemon::Keel, h0, dir.path(), "r0", &config("MASTER", 200));
    assert!(
        vrrp_lab::wait_until(Duration::from_secs(8), || holds(h0, VIP)).is_some(),
        "r0 never took the VIP: {}",
        r0.log_text()
    );
    // r1 starts once r0 advertises, so only the freezes below can make it take over.
    let r1 = start(Daemon::Keel, h1, dir.path(), "r1", &config("BACKUP", 100));
    std::thread::sleep(Duration::from_millis(700));
    let mut capture = lab.capture("ip proto 112");
    std::thread::sleep(Duration::from_millis(300));
    for _ in 0..3 {
        r1.signal(libc::SIGSTOP);
        std::thread::sleep(Duration::from_secs(1));
        r1.signal(libc::SIGCONT);
        std::thread::sleep(Duration::from_millis(600));
        assert!(
            holds(h0, VIP) && !holds(h1, VIP),
            "exactly r0 holds the VIP"
        );
    }
    capture.stop();
    let seen = adverts(capture.file());
    let from_r0 = seen.iter().filter(|s| s.source == "10.88.0.1").count();
    let from_r1: Vec<_> = seen.iter().filter(|s| s.source == "10.88.0.2").collect();
    assert!(from_r0 > 30, "r0 advertised ({from_r0} adverts seen)");
    assert!(
        from_r1.is_empty(),
        "r1 took over after resuming: {from_r1:?}\nr1's log:\n{}",
        r1.log_text()
    );
    assert!(
        !r1.log_text().contains("Entering MASTER STATE"),
        "r1 became MASTER:\n{}",
        r1.log_text()
    );
}
