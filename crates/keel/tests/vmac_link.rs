//! A `use_vmac` instance whose VMAC someone sets down, up again, or deletes while the daemon
//! runs (spec §3.3 FAULT, §3.10), keel beside keepalived 2.2.7 on the same host and the same
//! steps, with a keel peer as the backup. keepalived 2.2.7 puts the instance in FAULT while
//! its VMAC is down and leaves the VMAC down; set up again, the instance goes BACKUP and
//! preempts back; deleted, it goes FAULT, makes the VMAC again and goes BACKUP. Needs root.

mod vrrp_lab;

use std::path::Path;
use std::time::Duration;

use keel_lab::Host;
use vrrp_lab::{
    Daemon, Router, fifo_copy_script, lab, serial, start, start_keel, stop, wait_until,
};

const VIP: &str = "10.88.0.100";

/// VI_1 with `use_vmac`, VRRPv3 at 0.2 s so each step settles in about a second.
fn config(state: &str, priority: u8, globals: &str) -> String {
    format!(
        "global_defs {{\n  {globals}\n}}\n\
         vrrp_instance VI_1 {{\n  state {state}\n  interface e0\n  virtual_router_id 51\n  \
         priority {priority}\n  version 3\n  advert_int 0.2\n  use_vmac\n  \
         virtual_ipaddress {{\n    {VIP}/24\n  }}\n}}\n"
    )
}

/// Whether `host` has the VIP on its VMAC `vrrp.51`.
fn holds_on_vmac(host: &Host) -> bool {
    let out = host.ns.ip_output(&["-o", "addr", "show", "dev", "vrrp.51"]);
    String::from_utf8_lossy(&out.stdout).contains(&format!(" {VIP}/"))
}

/// `vrrp.51`'s flags as `ip link` shows them (`BROADCAST,MULTICAST,UP,LOWER_UP`), or
/// `None` when there is no such link.
fn vmac_flags(host: &Host) -> Option<String> {
    let out = host.ns.ip_output(&["-o", "link", "show", "dev", "vrrp.51"]);
    let text = String::from_utf8_lossy(&out.stdout);
    let flags = text.split('<').nth(1)?.split('>').next()?;
    Some(flags.to_string())
}

/// The states of VI_1 the notify FIFO carried, in order (`INSTANCE "VI_1" FAULT 150` →
/// `FAULT`). `MASTER_RX_LOWER_PRI` is not a state and is left out: when the daemon preempts
/// back, the peer's periodic advert may cross its first one, and keepalived 2.2.7 then
/// reports it (seen once in a CI dry run); keel's engine sends the same line in that case.
fn fifo_states(copy: &Path) -> Vec<String> {
    std::fs::read_to_string(copy)
        .unwrap_or_default()
        .lines()
        .filter_map(|line| line.strip_prefix("INSTANCE \"VI_1\" "))
        .filter_map(|rest| rest.split_whitespace().next())
        .filter(|state| *state != "MASTER_RX_LOWER_PRI")
        .map(str::to_string)
        .collect()
}

/// What IPv6 an (IPv4) VMAC has: its `addrgenmode`, its `disable_ipv6` sysctl and its
/// IPv6 addresses (`ip -6 -o addr`, the address fields only).
fn vmac_ipv6(host: &Host) -> (String, String, Vec<String>) {
    let details = host.ns.ip(&["-d", "link", "show", "dev", "vrrp.51"]);
    let mode = details
        .split("addrgenmode ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or("")
        .to_string();
    let disabled = String::from_utf8_lossy(
        &host
            .ns
            .sh("cat /proc/sys/net/ipv6/conf/vrrp.51/disable_ipv6")
            .stdout,
    )
    .trim()
    .to_string();
    let addresses = host
        .ns
        .ip(&["-6", "-o", "addr", "show", "dev", "vrrp.51"])
        .lines()
        .filter_map(|line| line.split_whitespace().nth(3).map(str::to_string))
        .collect();
    (mode, disabled, addresses)
}

/// What one daemon on the first host did, step by step.
struct Observed {
    /// [`vmac_ipv6`] once MASTER, and again once the deleted VMAC was made again.
    ipv6: Vec<(String, String, Vec<String>)>,
    /// The FIFO's states after each step.
    states: Vec<Vec<String>>,
    /// `vrrp.51`'s flags a moment after it was set down (the daemon's reaction done).
    flags_while_down: Option<String>,
    log: String,
}

/// Runs `daemon` as the master (priority 150) on `host`, `peer` (keel, priority 100) being
/// the backup, through: VMAC down, VMAC up, VMAC deleted; then stops it.
fn run(daemon: Daemon, host: &Host, peer: &Host, dir: &Path, name: &str) -> Observed {
    let fifo_dir = keel_lab::TempDir::new(name);
    let (script, copy) = fifo_copy_script(&fifo_dir);
    let fifo = dir.join(format!("{name}.fifo"));
    let globals = format!(
        "notify_fifo {}\n  notify_fifo_script {}",
        fifo.display(),
        script.display()
    );
    let mut router = start(daemon, host, dir, name, &config("MASTER", 150, &globals));
    let mut observed = Observed {
        ipv6: Vec::new(),
        states: Vec::new(),
        flags_while_down: None,
        log: String::new(),
    };
    let context = |router: &Router| {
        format!(
            "FIFO {:?}\n{}\n{}",
            fifo_states(&copy),
            host.ns.ip(&["-o", "addr"]),
            router.log_text()
        )
    };
    let reached = |router: &Router, states: &[&str], master: bool| {
        let done = wait_until(Duration::from_secs(6), || {
            fifo_states(&copy) == states
                && holds_on_vmac(host) == master
                && holds_on_vmac(peer) != master
        });
        assert!(
            done.is_some(),
            "{name}: not {states:?} with the VIP on the {}:\n{}",
            if master { "master" } else { "peer" },
            context(router)
        );
    };

    // Input: the daemon starts as MASTER.
    // Output: BACKUP (init), then MASTER with the VIP on vrrp.51.
    reached(&router, &["BACKUP", "MASTER"], true);
    observed.states.push(fifo_states(&copy));
    observed.ipv6.push(vmac_ipv6(host));

    // Input: `ip link set vrrp.51 down`.
    // Output: FAULT, the VIP leaves, the peer takes over; the VMAC stays down.
    host.ns.ip(&["link", "set", "vrrp.51", "down"]);
    reached(&router, &["BACKUP", "MASTER", "FAULT"], false);
    std::thread::sleep(Duration::from_millis(300));
    observed.flags_while_down = vmac_flags(host);
    observed.states.push(fifo_states(&copy));

    // Input: `ip link set vrrp.51 up`.
    // Output: BACKUP, then MASTER again (priority 150 preempts the peer).
    host.ns.ip(&["link", "set", "vrrp.51", "up"]);
    reached(
        &router,
        &["BACKUP", "MASTER", "FAULT", "BACKUP", "MASTER"],
        true,
    );
    observed.states.push(fifo_states(&copy));

    // Input: `ip link del vrrp.51`.
    // Output: FAULT, the VMAC made again, BACKUP, MASTER with the VIP on the new VMAC.
    host.ns.ip(&["link", "del", "vrrp.51"]);
    let all = [
        "BACKUP", "MASTER", "FAULT", "BACKUP", "MASTER", "FAULT", "BACKUP", "MASTER",
    ];
    reached(&router, &all, true);
    observed.states.push(fifo_states(&copy));
    observed.ipv6.push(vmac_ipv6(host));
    assert_eq!(
        host.ns.link_mac("vrrp.51"),
        "00:00:5e:00:01:33",
        "{name}: {}",
        context(&router)
    );
    observed.log = router.log_text();
    stop(daemon, &mut router, host);
    // The peer takes over again before the next daemon starts.
    assert!(
        wait_until(Duration::from_secs(5), || holds_on_vmac(peer)).is_some(),
        "the peer did not take over after {name} stopped"
    );
    observed
}

// Input: keepalived 2.2.7, then keel, as the master on one host with `use_vmac`, a keel
// backup on the other; on the master: `ip link set vrrp.51 down`, `... up`, `ip link del
// vrrp.51`.
// Output: keel's FIFO states, step by step, are keepalived's (BACKUP MASTER | FAULT |
// BACKUP MASTER | FAULT BACKUP MASTER); the VIP is on the peer while the VMAC is down and
// back on the master after each recovery; the IPv4 VMAC has no IPv6 (addrgenmode none,
// disable_ipv6 1, no address) at start and once made again; like keepalived, keel leaves the VMAC down
// (`BROADCAST,MULTICAST`) and logs "Netlink reports vrrp.51 down/up" and "Interface
// vrrp.51 deleted". Then the peer's own VMAC set down and up: its BACKUP goes FAULT and
// back to BACKUP.
#[test]
fn a_vmac_down_or_deleted_faults_its_instance_as_keepalived_does() {
    let _serial = serial();
    let (lab, dir) = lab("kvmlink", 2);
    let (host, peer_host) = (lab.host(0), lab.host(1));
    let peer = start_keel(peer_host, dir.path(), "peer", &config("BACKUP", 100, ""));
    assert!(
        wait_until(Duration::from_secs(6), || holds_on_vmac(peer_host)).is_some(),
        "the peer did not become MASTER alone:\n{}",
        peer.log_text()
    );

    let keepalived = run(
        Daemon::Keepalived,
        host,
        peer_host,
        dir.path(),
        "keepalived",
    );
    let keel = run(Daemon::Keel, host, peer_host, dir.path(), "keel");

    assert_eq!(keel.states, keepalived.states, "{}", keel.log);
    // An IPv4 VMAC has no IPv6 at all with keepalived 2.2.7 (without it, every router's
    // VMAC of VRID 51 made the same link-local from the shared MAC); keel's is the same,
    // also once made again.
    let none = ("none".to_string(), "1".to_string(), Vec::new());
    assert_eq!(keepalived.ipv6, [none.clone(), none], "{}", keepalived.log);
    assert_eq!(keel.ipv6, keepalived.ipv6, "{}", keel.log);
    assert_eq!(
        keepalived.flags_while_down.as_deref(),
        Some("BROADCAST,MULTICAST"),
        "keepalived set its VMAC up again?\n{}",
        keepalived.log
    );
    assert_eq!(
        keel.flags_while_down, keepalived.flags_while_down,
        "{}",
        keel.log
    );
    for line in [
        "Netlink reports vrrp.51 down",
        "(VI_1) Entering FAULT STATE",
        "Netlink reports vrrp.51 up",
        "Interface vrrp.51 deleted",
        "(VI_1): Success creating VMAC interface vrrp.51",
    ] {
        assert!(
            keepalived.log.contains(line),
            "keepalived: {line}\n{}",
            keepalived.log
        );
        assert!(keel.log.contains(line), "keel: {line}\n{}", keel.log);
    }

    // Input: the peer (BACKUP) has its own VMAC set down, then up.
    // Output: FAULT, then BACKUP again.
    let faults = |router: &Router| {
        router
            .log_text()
            .matches("(VI_1) Entering FAULT STATE")
            .count()
    };
    let backups = |router: &Router| {
        router
            .log_text()
            .matches("(VI_1) Entering BACKUP STATE")
            .count()
    };
    let (faults_before, backups_before) = (faults(&peer), backups(&peer));
    let mut keel_master = start_keel(host, dir.path(), "keel2", &config("MASTER", 150, ""));
    assert!(
        wait_until(Duration::from_secs(6), || holds_on_vmac(host)
            && !holds_on_vmac(peer_host))
        .is_some(),
        "keel did not take the VIP back:\n{}",
        keel_master.log_text()
    );
    let backups_before = backups_before.max(backups(&peer));
    peer_host.ns.ip(&["link", "set", "vrrp.51", "down"]);
    assert!(
        wait_until(Duration::from_secs(3), || faults(&peer) > faults_before).is_some(),
        "the peer's BACKUP did not go FAULT:\n{}",
        peer.log_text()
    );
    peer_host.ns.ip(&["link", "set", "vrrp.51", "up"]);
    assert!(
        wait_until(Duration::from_secs(3), || backups(&peer) > backups_before).is_some(),
        "the peer did not go back to BACKUP:\n{}",
        peer.log_text()
    );
    assert!(holds_on_vmac(host) && !holds_on_vmac(peer_host));
    keel_master.stop(Duration::from_secs(10));
}

// Input: keel MASTER alone on an IPv6 `use_vmac` instance (vrrp.61 carries e0's link-local,
// the adverts' source); `ip link set vrrp.61 down`, then up.
// Output: FAULT, then BACKUP and MASTER again with the VIP, and vrrp.61 carries e0's
// link-local again (the kernel flushed it when the link went down). keepalived 2.2.7, tried
// by hand on the same steps, leaves it off and stays in FAULT ("Using src_ip = (none)").
#[test]
fn an_ipv6_vmac_set_down_and_up_gets_its_link_local_back() {
    let _serial = serial();
    let (lab, dir) = lab("kvmlink6", 1);
    let host = lab.host(0);
    let link_local = host.link_local();
    let config = "vrrp_instance VI_6 {\n  state MASTER\n  interface e0\n  virtual_router_id 61\n  \
                  priority 150\n  advert_int 0.2\n  use_vmac\n  \
                  virtual_ipaddress {\n    fd00::100/64\n  }\n}\n";
    let keel = start_keel(host, dir.path(), "keel", config);
    let addresses = || host.ns.ip(&["-6", "-o", "addr", "show", "dev", "vrrp.61"]);
    let masters = || {
        keel.log_text()
            .matches("(VI_6) Entering MASTER STATE")
            .count()
    };
    assert!(
        wait_until(Duration::from_secs(6), || masters() == 1
            && addresses().contains(" fd00::100/64"))
        .is_some(),
        "{}",
        keel.log_text()
    );
    assert!(
        addresses().contains(&format!(" {link_local}/64")),
        "{}",
        addresses()
    );

    host.ns.ip(&["link", "set", "vrrp.61", "down"]);
    assert!(
        wait_until(Duration::from_secs(3), || keel
            .log_text()
            .contains("(VI_6) Entering FAULT STATE"))
        .is_some(),
        "{}",
        keel.log_text()
    );
    host.ns.ip(&["link", "set", "vrrp.61", "up"]);
    assert!(
        wait_until(Duration::from_secs(4), || masters() == 2
            && addresses().contains(" fd00::100/64"))
        .is_some(),
        "{}\n{}",
        addresses(),
        keel.log_text()
    );
    let shown = addresses();
    let line = shown
        .lines()
        .find(|line| line.contains(&format!(" {link_local}/64")))
        .unwrap_or_else(|| panic!("no {link_local} on vrrp.61:\n{shown}"));
    assert!(line.contains("nodad"), "{line}");
}
