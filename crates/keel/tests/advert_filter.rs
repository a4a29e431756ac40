//! A BACKUP's repeated adverts absorbed in the kernel (daemon run/absorb.rs, keel-sys
//! socket::filter), checked from outside: the kernel's count read from the daemon's own
//! mapping of its filter slots, keepalived's counters in `keepalived.stats`, and the
//! timing of takeovers on the wire. Against keel and keepalived 2.2.7 masters.
//!
//! Needs root, tcpdump and keepalived.

mod vrrp_lab;

use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use std::time::Duration;

use keel_lab::{DaemonFiles, Host};
use vrrp_lab::{
    Daemon, Router, adverts, down_interval, epoch, failover_gap, holds, keel_command, lab,
    logs_within, reload_with, serial, start, wait_until,
};

const VIP: &str = "10.88.0.100";

fn config(
    version: u8,
    state: &str,
    priority: u8,
    interval: &str,
    instances: &[(u8, &str)],
) -> String {
    let mut text =
        format!("global_defs {{\n  vrrp_version {version}\n  vrrp_garp_master_delay 0\n}}\n");
    for (vrid, vip) in instances {
        text.push_str(&format!(
            "vrrp_instance VI_{vrid} {{\n  state {state}\n  interface e0\n  virtual_router_id {vrid}\n  \
             priority {priority}\n  advert_int {interval}\n  virtual_ipaddress {{\n    {vip}\n  }}\n}}\n"
        ));
    }
    text
}

/// keel on `host` with its dump files (`keepalived.stats`, …) in `dir`.
fn start_keel_dumping(host: &Host, dir: &Path, name: &str, config: &str) -> Router {
    let files = DaemonFiles::write(dir, name, config);
    let mut command = keel_command(host, &files);
    command.env("TMPDIR", dir);
    Router::spawn(command, &files.log)
}

/// What the kernel absorbed for `vrid`, summed over the daemon's filters: read from its
/// mapping of the filter slots (`anon_inode:bpf-map`, 256 slots of 80 bytes, the count at
/// byte 72 of each), through /proc/PID/mem.
fn absorbed(pid: u32, vrid: u8) -> u64 {
    let maps = std::fs::read_to_string(format!("/proc/{pid}/maps")).expect("maps");
    let mut memory = std::fs::File::open(format!("/proc/{pid}/mem")).expect("mem");
    let mut total = 0;
    for line in maps.lines().filter(|line| line.contains("bpf-map")) {
        let range = line.split_whitespace().next().expect("range");
        let (start, end) = range.split_once('-').expect("start-end");
        let start = u64::from_str_radix(start, 16).unwrap();
        let end = u64::from_str_radix(end, 16).unwrap();
        if end - start != 256 * 80 {
            continue;
        }
        let mut count = [0u8; 8];
        memory
            .seek(SeekFrom::Start(start + u64::from(vrid) * 80 + 72))
            .unwrap();
        memory.read_exact(&mut count).expect("reading the slot");
        total += u64::from_ne_bytes(count);
    }
    total
}

/// `Received:` of `instance` in `dir/keepalived.stats`, after a SIGUSR2 to `router`.
fn received(router: &Router, dir: &Path, instance: &str) -> u64 {
    let stats = dir.join("keepalived.stats");
    let _ = std::fs::remove_file(&stats);
    router.signal(libc::SIGUSR2);
    assert!(
        wait_until(Duration::from_secs(3), || stats.exists()).is_some(),
        "no keepalived.stats"
    );
    std::thread::sleep(Duration::from_millis(50));
    let text = std::fs::read_to_string(&stats).unwrap();
    let block = text
        .split("VRRP Instance: ")
        .find(|block| block.starts_with(&format!("{instance}\n")))
        .unwrap_or_else(|| panic!("no {instance} in {text}"));
    block
        .lines()
        .find_map(|line| line.trim().strip_prefix("Received: "))
        .and_then(|count| count.parse().ok())
        .unwrap_or_else(|| panic!("no Received in {block}"))
}

// Input: keel r0 (150, MASTER) and keel r1 (100) at advert_int 0.1, VRRPv3 over IPv4; 3 s of
// steady state; then r0 SIGKILLed.
// Output: r1 stays BACKUP without the VIP while the kernel absorbs nearly all of r0's
// adverts (all but a few read to arm the filter); keepalived.stats still counts every advert
// r0 sent; after the kill r1 takes over 3 × 0.1 s + skew after r0's last advert (1 %).
#[test]
fn a_keel_backup_absorbs_its_masters_repeats_counts_them_and_takes_over_on_time() {
    let _serial = serial();
    let (lab, dir) = lab("kabs", 2);
    let (h0, h1) = (lab.host(0), lab.host(1));
    let mut capture = lab.capture("ip proto 112");
    let mut r0 = start(
        Daemon::Keel,
        h0,
        dir.path(),
        "r0",
        &config(3, "MASTER", 150, "0.1", &[(51, "10.88.0.100/24")]),
    );
    let r1 = start_keel_dumping(
        h1,
        dir.path(),
        "r1",
        &config(3, "BACKUP", 100, "0.1", &[(51, "10.88.0.100/24")]),
    );
    assert!(
        wait_until(Duration::from_secs(8), || holds(h0, VIP)).is_some(),
        "r0 never took the VIP: {}",
        r0.log_text()
    );
    std::thread::sleep(Duration::from_secs(3));
    let count = received(&r1, dir.path(), "VI_51");
    let absorbed = absorbed(r1.pid(), 51);
    let sent = adverts(capture.file())
        .iter()
        .filter(|seen| seen.source == "10.88.0.1")
        .count() as u64;
    println!("r0 sent {sent}, r1 counted {count}, the kernel absorbed {absorbed}");
    assert!(!holds(h1, VIP), "r1 holds the VIP");
    assert!(sent >= 30, "{sent} adverts from r0");
    assert!(
        count + 3 >= sent && count <= sent + 1,
        "keepalived.stats counts {count} of {sent} adverts"
    );
    assert!(
        absorbed + 5 >= sent && absorbed < sent,
        "{absorbed} of {sent} adverts absorbed"
    );

    let killed_at = epoch();
    r0.kill();
    assert!(
        wait_until(Duration::from_secs(5), || holds(h1, VIP)).is_some(),
        "r1 never took over: {}",
        r1.log_text()
    );
    std::thread::sleep(Duration::from_millis(200));
    capture.stop();
    let seen = adverts(capture.file());
    let gap = failover_gap(&seen, "10.88.0.1", "10.88.0.2", killed_at).expect("both captured");
    let bound = down_interval(0.1, 100);
    vrrp_lab::assert_failover_gap(gap, bound);
}

// Input: as above, steady with the filter absorbing; then r0 is reloaded at priority 50.
// Output: r1 (100, preempting) hears the first priority-50 advert (another advert: the
// filter lets it through), discards it, and takes over when the timer of r0's last
// priority-150 advert runs out: its first advert comes 3 × 0.1 s + skew(100) after that one
// (−2 %, +3 %), not earlier (a timer left at an older absorbed advert) and not later.
#[test]
fn a_lower_priority_from_the_master_reaches_the_engine_and_the_takeover_times_from_the_last_absorbed_advert()
 {
    let _serial = serial();
    let (lab, dir) = lab("kabp", 2);
    let (h0, h1) = (lab.host(0), lab.host(1));
    let mut capture = lab.capture("ip proto 112");
    let c0 = config(3, "MASTER", 150, "0.1", &[(51, "10.88.0.100/24")]);
    let r0 = start(Daemon::Keel, h0, dir.path(), "r0", &c0);
    let r1 = start_keel_dumping(
        h1,
        dir.path(),
        "r1",
        &config(3, "BACKUP", 100, "0.1", &[(51, "10.88.0.100/24")]),
    );
    assert!(wait_until(Duration::from_secs(8), || holds(h0, VIP)).is_some());
    std::thread::sleep(Duration::from_secs(2));
    assert!(absorbed(r1.pid(), 51) >= 10, "nothing absorbed");
    reload_with(
        &r0,
        &dir.path().join("r0.conf"),
        &c0.replace("priority 150", "priority 50"),
    );
    assert!(
        wait_until(Duration::from_secs(5), || holds(h1, VIP)).is_some(),
        "r1 never took over: {}",
        r1.log_text()
    );
    std::thread::sleep(Duration::from_millis(300));
    capture.stop();
    let seen = adverts(capture.file());
    let first_lower = seen
        .iter()
        .position(|s| s.source == "10.88.0.1" && s.priority == 50)
        .expect("r0's priority-50 advert");
    let last_high = seen[..first_lower]
        .iter()
        .rev()
        .find(|s| s.source == "10.88.0.1" && s.priority == 150)
        .expect("r0's last priority-150 advert")
        .time;
    let takeover = seen
        .iter()
        .find(|s| s.source == "10.88.0.2" && s.time > last_high)
        .expect("r1's first advert")
        .time;
    let bound = down_interval(0.1, 100);
    let gap = takeover - last_high;
    println!("takeover {gap:.4} s after the last priority-150 advert; bound {bound:.4} s");
    assert!(
        gap >= 0.98 * bound && gap <= 1.03 * bound,
        "gap {gap} s vs bound {bound} s"
    );
}

// Input: keepalived 2.2.7 as MASTER of three instances, keel as BACKUP: VRRPv3 over IPv4
// (VRID 51) and over IPv6 (VRID 52) at advert_int 0.1, and VRRPv2 with PASS authentication
// (VRID 53) at 1 s; 3 s of steady state once the last of them is absorbing.
// Output: keel stays BACKUP, holds no VIP, and the kernel absorbs keepalived's adverts for
// each of the three: what varies per packet in keepalived's adverts (the IPv4
// identification and header checksum) is left out of the fingerprint, nothing else is.
#[test]
fn keepalived_masters_adverts_are_absorbed_for_v2_pass_v3_ipv4_and_v3_ipv6() {
    let _serial = serial();
    let (lab, dir) = lab("kabk", 2);
    let (h0, h1) = (lab.host(0), lab.host(1));
    let instances = |state: &str, priority: u8| {
        format!(
            "global_defs {{\n  vrrp_garp_master_delay 0\n}}\n\
             vrrp_instance V4 {{\n  version 3\n  state {state}\n  interface e0\n  virtual_router_id 51\n  \
             priority {priority}\n  advert_int 0.1\n  virtual_ipaddress {{\n    10.88.0.100/24\n  }}\n}}\n\
             vrrp_instance V6 {{\n  version 3\n  state {state}\n  interface e0\n  virtual_router_id 52\n  \
             priority {priority}\n  advert_int 0.1\n  virtual_ipaddress {{\n    fd00:88::100/64\n  }}\n}}\n\
             vrrp_instance PASS {{\n  version 2\n  state {state}\n  interface e0\n  virtual_router_id 53\n  \
             priority {priority}\n  advert_int 1\n  authentication {{\n    auth_type PASS\n    auth_pass s3cret\n  }}\n  \
             virtual_ipaddress {{\n    10.88.0.103/24\n  }}\n}}\n"
        )
    };
    h0.add_address("fd00:88::1/64");
    h1.add_address("fd00:88::2/64");
    let mut capture = lab.capture("ip proto 112 or ip6 proto 112");
    let r0 = start(
        Daemon::Keepalived,
        h0,
        dir.path(),
        "r0",
        &instances("MASTER", 150),
    );
    assert!(
        wait_until(Duration::from_secs(8), || holds(h0, VIP)
            && holds(h0, "fd00:88::100"))
        .is_some(),
        "keepalived never took the VIPs: {}",
        r0.log_text()
    );
    let r1 = start_keel_dumping(h1, dir.path(), "r1", &instances("BACKUP", 100));
    // The 1 s instance arms its filter at its first or second advert (`-D` logs it).
    assert!(
        logs_within(
            &r1,
            Duration::from_secs(6),
            "(PASS) repeats of 10.88.0.1's advert are absorbed in the kernel"
        ),
        "{}",
        r1.log_text()
    );
    std::thread::sleep(Duration::from_secs(3));
    let counts = [51, 52, 53].map(|vrid| absorbed(r1.pid(), vrid));
    let stats = ["V4", "V6", "PASS"].map(|name| received(&r1, dir.path(), name));
    capture.stop();
    println!("absorbed {counts:?}, counted {stats:?}");
    for vip in [VIP, "fd00:88::100", "10.88.0.103"] {
        assert!(!holds(h1, vip), "keel holds {vip}: {}", r1.log_text());
    }
    // At least 3 s of steady state: 30 adverts at 0.1 s, 3 at 1 s (less the few read to
    // arm the filters).
    assert!(counts[0] >= 25 && counts[1] >= 25, "absorbed {counts:?}");
    assert!(counts[2] >= 2, "absorbed {counts:?}");
    for (absorbed, counted) in counts.iter().zip(stats) {
        assert!(
            counted > *absorbed,
            "counted {stats:?}, absorbed {counts:?}"
        );
    }
}
