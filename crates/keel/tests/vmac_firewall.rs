//! Issue 4 leftovers in the daemon, on real kernels in namespaces: `use_vmac` next to
//! keepalived 2.2.7, `no_accept` / `vrrp_strict` DROP rules, SIGRTMAX-1 (stats clear) and
//! sync-group alert mails received by aiosmtpd.
//!
//! Needs root, keepalived, tshark, nft and python3-aiosmtpd.

mod vrrp_lab;

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use keel_lab::{ChildGuard, Host};
use vrrp_lab::{Daemon, holds_on, lab, serial, start, wait_until};

const VMAC: &str = "00:00:5e:00:01:33";

fn vmac_config(state: &str, priority: u8) -> String {
    format!(
        "global_defs {{\n  router_id r{priority}\n}}\n\
         vrrp_instance VI_1 {{\n  state {state}\n  interface e0\n  virtual_router_id 51\n  \
         priority {priority}\n  advert_int 1\n  use_vmac\n  \
         virtual_ipaddress {{\n    10.88.0.100/24\n  }}\n}}\n"
    )
}

/// Whether `host` has an interface `name`.
/// keel as MASTER (priority 150) on `keel_host` and keepalived 2.2.7 as BACKUP (priority
/// 100) on `ka_host`, each with `config(state, priority)`; waits until keel holds `vip` on
/// vrrp.51 (panics with keel's log if it does not within 8 s).
fn keel_master_keepalived_backup(
    (keel_host, ka_host): (&Host, &Host),
    dir: &Path,
    config: impl Fn(&str, u8) -> String,
    vip: &str,
) -> (vrrp_lab::Router, vrrp_lab::Router) {
    let keel = start(Daemon::Keel, keel_host, dir, "keel", &config("MASTER", 150));
    let keepalived = start(
        Daemon::Keepalived,
        ka_host,
        dir,
        "ka",
        &config("BACKUP", 100),
    );
    assert!(
        wait_until(Duration::from_secs(8), || holds_on(
            keel_host, "vrrp.51", vip
        ))
        .is_some(),
        "keel never held the VIP on vrrp.51:\n{}",
        keel.log_text()
    );
    (keel, keepalived)
}

fn has_link(host: &Host, name: &str) -> bool {
    host.ns
        .ip_output(&["link", "show", "dev", name])
        .status
        .success()
}

/// Whether one ping from `client` to `vip` is answered, and the client's ARP entry for
/// `vip` after an ARP exchange (busybox arping; empty when unresolved).
///
/// The ping alone would not do for the ARP entry: the master answers it out of the base
/// interface (the connected route of e0 comes first), and its ARP request for the client
/// from there carries the VIP as sender with the base MAC, which the client learns.
/// keepalived 2.2.7 behaves the same; ARP replies and gratuitous ARPs come from the VMAC.
fn ping_and_neigh(client: &Host, vip: &str) -> (bool, String) {
    client.ns.ip(&["neigh", "flush", "dev", "e0"]);
    let answered = client
        .ns
        .command("ping")
        .args(["-c", "1", "-W", "1", vip])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    // Past the neighbour locktime (1 s), so the ARP reply may replace what the ping taught.
    std::thread::sleep(Duration::from_millis(1100));
    let arping = client
        .ns
        .sh(&format!("busybox arping -c 1 -w 2 -I e0 {vip}"));
    let arping = String::from_utf8_lossy(&arping.stdout).to_lowercase();
    let neigh = client.ns.ip(&["neigh", "show", vip]);
    (answered, format!("{neigh} / arping: {arping}"))
}

// Input: keel (priority 150) and keepalived 2.2.7 (priority 100), both with use_vmac for
// VRID 51, and a client on the same segment.
// Output: keel's VIP sits on vrrp.51 with MAC 00:00:5e:00:01:33, the client's ARP for it
// resolves to that MAC and its ping is answered; keel's adverts leave with the virtual MAC
// as Ethernet source and decode in tshark with a good checksum. SIGKILL of keel moves the
// VIP to keepalived's vrrp.51 (the client keeps the same MAC and is answered); keel
// restarted removes the leftover VMAC, makes a new one and preempts back; SIGTERM removes
// the VMAC and restores keel's base interface to what it was.
#[test]
fn use_vmac_interoperates_with_keepalived() {
    let _serial = serial();
    let (lab, dir) = lab("kvmac", 3);
    let (keel_host, ka_host, client) = (lab.host(0), lab.host(1), lab.host(2));
    let arp_ignore_before = keel_host
        .ns
        .sh("cat /proc/sys/net/ipv4/conf/e0/arp_ignore")
        .stdout;
    let mut capture = lab.capture("");
    let (mut keel, _keepalived) =
        keel_master_keepalived_backup((keel_host, ka_host), dir.path(), vmac_config, "10.88.0.100");
    assert_eq!(keel_host.ns.link_mac("vrrp.51"), VMAC);
    assert!(!vrrp_lab::holds(keel_host, "10.88.0.100"), "VIP on e0 too");
    let details = keel_host.ns.ip(&["-d", "link", "show", "dev", "vrrp.51"]);
    assert!(details.contains("macvlan mode private"), "{details}");
    let sysctl = |name: &str, dev: &str| {
        String::from_utf8_lossy(
            &keel_host
                .ns
                .sh(&format!("cat /proc/sys/net/ipv4/conf/{dev}/{name}"))
                .stdout,
        )
        .trim()
        .to_string()
    };
    assert_eq!(sysctl("arp_ignore", "e0"), "1");
    assert_eq!(sysctl("arp_filter", "e0"), "1");
    assert_eq!(sysctl("arp_ignore", "vrrp.51"), "1");
    assert_eq!(sysctl("accept_local", "vrrp.51"), "1");
    // keepalived's BACKUP has its VMAC too, without the VIP.
    assert!(has_link(ka_host, "vrrp.51"));
    assert!(!holds_on(ka_host, "vrrp.51", "10.88.0.100"));

    let (answered, neigh) = ping_and_neigh(client, "10.88.0.100");
    assert!(answered, "ping to the VIP on keel unanswered");
    assert!(
        neigh.starts_with(&format!("{} dev e0 lladdr {VMAC}", "10.88.0.100")),
        "client ARP: {neigh}"
    );
    assert!(neigh.contains(&format!("[{VMAC}]")), "client ARP: {neigh}");

    // Adverts of priority 150 (keel's) on the wire: virtual MAC source, good checksum.
    std::thread::sleep(Duration::from_millis(1500));
    let rows = capture.read_fields(&["eth.src", "vrrp.prio", "vrrp.checksum.status"]);
    let keel_adverts: Vec<&Vec<String>> = rows.iter().filter(|r| r[1] == "150").collect();
    assert!(keel_adverts.len() >= 2, "{rows:?}");
    for row in &keel_adverts {
        assert_eq!(row[0], VMAC, "{row:?}");
        assert_eq!(row[2], "1", "checksum status (tshark: 1 = Good): {row:?}");
    }

    // Crash: keepalived takes over on its own vrrp.51.
    keel.kill();
    assert!(
        wait_until(Duration::from_secs(6), || holds_on(
            ka_host,
            "vrrp.51",
            "10.88.0.100"
        ))
        .is_some(),
        "keepalived did not take over"
    );
    let (answered, neigh) = ping_and_neigh(client, "10.88.0.100");
    assert!(answered, "ping to the VIP on keepalived unanswered");
    assert!(
        neigh.starts_with(&format!("{} dev e0 lladdr {VMAC}", "10.88.0.100")),
        "client ARP after failover: {neigh}"
    );

    // The crashed run left vrrp.51 (with the VIP); a new keel replaces it and preempts.
    assert!(has_link(keel_host, "vrrp.51"));
    // A crash cannot restore sysctls; put e0's back so the restore at stop shows.
    keel_host
        .ns
        .sh("echo 0 > /proc/sys/net/ipv4/conf/e0/arp_ignore; echo 0 > /proc/sys/net/ipv4/conf/e0/arp_filter");
    let mut keel = start(
        Daemon::Keel,
        keel_host,
        dir.path(),
        "keel2",
        &vmac_config("MASTER", 150),
    );
    assert!(
        wait_until(Duration::from_secs(8), || holds_on(
            keel_host,
            "vrrp.51",
            "10.88.0.100"
        ) && !holds_on(
            ka_host,
            "vrrp.51",
            "10.88.0.100"
        ))
        .is_some(),
        "keel did not preempt back:\n{}",
        keel.log_text()
    );
    assert!(
        keel.log_text()
            .contains("Removed leftover VMAC interface vrrp.51"),
        "{}",
        keel.log_text()
    );

    keel.signal(libc::SIGTERM);
    assert_eq!(keel.wait_exit(Duration::from_secs(5)), Some(0));
    assert!(!has_link(keel_host, "vrrp.51"), "VMAC left after stop");
    assert_eq!(
        keel_host
            .ns
            .sh("cat /proc/sys/net/ipv4/conf/e0/arp_ignore")
            .stdout,
        arp_ignore_before,
        "arp_ignore not restored"
    );
    assert!(
        wait_until(Duration::from_secs(5), || holds_on(
            ka_host,
            "vrrp.51",
            "10.88.0.100"
        ))
        .is_some()
    );
}

fn accept_config(global: &str, accept: &str) -> String {
    format!(
        "global_defs {{\n  router_id r1\n{global}}}\n\
         vrrp_instance VI_1 {{\n  state MASTER\n  interface e0\n  virtual_router_id 52\n  \
         priority 200\n  advert_int 1\n{accept}  virtual_ipaddress {{\n    10.88.0.100/24\n  }}\n}}\n"
    )
}

fn nft_ruleset(host: &Host) -> String {
    String::from_utf8_lossy(&host.ns.sh("nft list ruleset").stdout).into_owned()
}

// Input: a keel MASTER (priority 200, not the owner) with `no_accept`, then with
// `vrrp_strict` and nothing said (no_accept by default), then with `accept`; a client
// pings the VIP each time.
// Output: with no_accept and under strict the ping gets no reply and `table ip keepalived`
// drops the VIP; with accept it is answered and there is no such table; after SIGTERM no
// table is left.
#[test]
fn no_accept_drops_traffic_to_the_vip_while_master() {
    let _serial = serial();
    let (lab, dir) = lab("knoacc", 2);
    let (router, client) = (lab.host(0), lab.host(1));
    let cases = [
        ("no_accept", "", "  no_accept\n", false),
        ("strict", "  vrrp_strict\n", "", false),
        ("accept", "", "  accept\n", true),
    ];
    for (name, global, accept, answered) in cases {
        let mut keel = start(
            Daemon::Keel,
            router,
            dir.path(),
            name,
            &accept_config(global, accept),
        );
        assert!(
            wait_until(Duration::from_secs(6), || vrrp_lab::holds(
                router,
                "10.88.0.100"
            ))
            .is_some(),
            "{name}: no VIP:\n{}",
            keel.log_text()
        );
        let ruleset = nft_ruleset(router);
        let (reply, _) = ping_and_neigh(client, "10.88.0.100");
        assert_eq!(reply, answered, "{name}: ping answered?\n{ruleset}");
        if answered {
            assert!(
                !ruleset.contains("table ip keepalived"),
                "{name}: {ruleset}"
            );
        } else {
            assert!(ruleset.contains("table ip keepalived"), "{name}: {ruleset}");
            assert!(ruleset.contains("10.88.0.100"), "{name}: {ruleset}");
            assert!(ruleset.contains("ip daddr @vips drop"), "{name}: {ruleset}");
            // The host's own address is still reachable: only the VIP is dropped.
            let (own, _) = ping_and_neigh(client, "10.88.0.1");
            assert!(own, "{name}: ping to the router's own address");
        }
        keel.signal(libc::SIGTERM);
        assert_eq!(keel.wait_exit(Duration::from_secs(5)), Some(0), "{name}");
        let ruleset = nft_ruleset(router);
        assert!(
            !ruleset.contains("keepalived"),
            "{name}: rules left: {ruleset}"
        );
    }
}

/// The `Name: N` counters of a `keepalived.stats` file, summed.
fn stats_total(path: &Path) -> (u64, String) {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let total = text
        .lines()
        .filter_map(|line| line.rsplit_once(": "))
        .filter_map(|(_, value)| value.trim().parse::<u64>().ok())
        .sum();
    (total, text)
}

fn sent(text: &str) -> u64 {
    let mut lines = text.lines().skip_while(|l| !l.contains("Advertisements:"));
    lines
        .find(|l| l.trim_start().starts_with("Sent:"))
        .and_then(|l| l.rsplit_once(": "))
        .and_then(|(_, v)| v.trim().parse().ok())
        .unwrap_or(0)
}

// Input: a keel MASTER that has sent adverts; SIGUSR2, then SIGRTMAX-1 and SIGUSR2.
// Output: the first keepalived.stats shows adverts sent and "Became master: 1"; after the
// clear every counter is 0; a few seconds later Sent grows again.
#[test]
fn sigrtmax_minus_one_clears_the_stats() {
    let _serial = serial();
    let (lab, dir) = lab("kstclr", 1);
    let host = lab.host(0);
    let conf = dir.path().join("keel.conf");
    // A 3 s interval leaves the clear and the next dump far from the next advert.
    std::fs::write(
        &conf,
        accept_config("", "").replace("advert_int 1", "advert_int 3"),
    )
    .unwrap();
    let child = host
        .ns
        .command(&vrrp_lab::keel_binary())
        .args(["-n", "-l", "-D", "-P", "-f"])
        .arg(&conf)
        .arg("-p")
        .arg(dir.path().join("k.pid"))
        .arg("-r")
        .arg(dir.path().join("v.pid"))
        .env("TMPDIR", dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("starting keel");
    let guard = ChildGuard::new(child);
    let signal = |signal: i32| {
        // SAFETY: kill has no memory-safety preconditions; the pid is our child.
        unsafe { libc::kill(guard.pid() as i32, signal) };
    };
    let stats = dir.path().join("keepalived.stats");
    assert!(
        wait_until(Duration::from_secs(6), || vrrp_lab::holds(
            host,
            "10.88.0.100"
        ))
        .is_some()
    );
    std::thread::sleep(Duration::from_secs(4));
    signal(libc::SIGUSR2);
    assert!(wait_until(Duration::from_secs(3), || sent(&stats_total(&stats).1) >= 2).is_some());
    let (_, before) = stats_total(&stats);
    assert!(before.contains("Became master: 1"), "{before}");

    // An advert can slip between the clear and the dump at most once in a few tries.
    let mut cleared = None;
    for _ in 0..3 {
        std::fs::remove_file(&stats).unwrap();
        signal(libc::SIGRTMAX() - 1);
        // The clear writes the old counters first.
        assert!(wait_until(Duration::from_secs(3), || stats.exists()).is_some());
        std::thread::sleep(Duration::from_millis(50));
        std::fs::remove_file(&stats).unwrap();
        signal(libc::SIGUSR2);
        assert!(
            wait_until(Duration::from_secs(3), || stats_total(&stats)
                .1
                .contains("Priority Zero"))
            .is_some()
        );
        let (total, text) = stats_total(&stats);
        if total == 0 {
            cleared = Some(text);
            break;
        }
    }
    let cleared = cleared.expect("counters never all zero after SIGRTMAX-1");
    assert!(cleared.contains("Became master: 0"), "{cleared}");
    assert!(cleared.contains("VRRP Instance: VI_1"), "{cleared}");

    std::thread::sleep(Duration::from_millis(3500));
    signal(libc::SIGUSR2);
    assert!(
        wait_until(Duration::from_secs(3), || sent(&stats_total(&stats).1) >= 1).is_some(),
        "Sent did not grow again: {}",
        stats_total(&stats).1
    );
}

// Input: sync group G1 (VI_1, VI_2) with smtp_alert, smtp_server on the router's loopback
// where Python's aiosmtpd listens; both instances become MASTER.
// Output: aiosmtpd receives keepalived's group mail "[r1] VRRP Group G1 - Entering MASTER
// state" with the body "=> All VRRP group instances are now in MASTER state <=".
#[test]
fn sync_group_mail_reaches_aiosmtpd() {
    let _serial = serial();
    let (lab, dir) = lab("kgmail", 1);
    let host = lab.host(0);
    host.ns.ip(&["link", "set", "lo", "up"]);
    let mail_log = dir.path().join("aiosmtpd.out");
    let server = host
        .ns
        .command("python3")
        .args(["-u", "-m", "aiosmtpd", "-n", "-l", "127.0.0.1:2526"])
        .stdout(std::fs::File::create(&mail_log).unwrap())
        .stderr(Stdio::null())
        .spawn()
        .expect("python3 -m aiosmtpd (package python3-aiosmtpd)");
    let _server = ChildGuard::new(server);
    assert!(
        wait_until(Duration::from_secs(10), || host
            .ns
            .run_in(|| std::net::TcpStream::connect("127.0.0.1:2526").is_ok()))
        .is_some(),
        "aiosmtpd did not start"
    );
    let config = "global_defs {\n  router_id r1\n  notification_email {\n    ops@example.org\n  }\n  \
         notification_email_from keel@example.org\n  smtp_server 127.0.0.1 2526\n}\n\
         vrrp_sync_group G1 {\n  group {\n    VI_1\n    VI_2\n  }\n  smtp_alert\n}\n\
         vrrp_instance VI_1 {\n  state MASTER\n  interface e0\n  virtual_router_id 61\n  priority 150\n  \
         advert_int 1\n  virtual_ipaddress {\n    10.88.0.100/24\n  }\n}\n\
         vrrp_instance VI_2 {\n  state MASTER\n  interface e0\n  virtual_router_id 62\n  priority 150\n  \
         advert_int 1\n  virtual_ipaddress {\n    10.88.0.101/24\n  }\n}\n";
    let keel = start(Daemon::Keel, host, dir.path(), "keel", config);
    let mail = || std::fs::read_to_string(&mail_log).unwrap_or_default();
    assert!(
        wait_until(Duration::from_secs(10), || mail()
            .contains("Subject: [r1] VRRP Group G1 - Entering MASTER state"))
        .is_some(),
        "no group mail; aiosmtpd printed:\n{}\nkeel:\n{}",
        mail(),
        keel.log_text()
    );
    let text = mail();
    assert!(
        text.contains("=> All VRRP group instances are now in MASTER state <="),
        "{text}"
    );
    assert!(text.contains("X-Mailer: Keepalived"), "{text}");
    // Members have no smtp_alert of their own: no instance mail.
    assert!(!text.contains("VRRP Instance VI_1"), "{text}");
}

// Input: a keel MASTER holding 10.88.0.100 on e0; SIGHUP with use_vmac added, then SIGHUP
// with it removed again.
// Output: the VIP moves to a new vrrp.51 and back to e0 (vrrp.51 deleted), with no state
// change logged by either reload.
#[test]
fn reload_adds_and_removes_use_vmac() {
    let _serial = serial();
    let (lab, dir) = lab("kvmrl", 1);
    let host = lab.host(0);
    let plain = vmac_config("MASTER", 150).replace("  use_vmac\n", "");
    let keel = start(Daemon::Keel, host, dir.path(), "keel", &plain);
    assert!(
        wait_until(Duration::from_secs(6), || vrrp_lab::holds(
            host,
            "10.88.0.100"
        ))
        .is_some()
    );
    let entering = || keel.log_text().matches("Entering").count();
    let transitions = entering();
    let conf = dir.path().join("keel.conf");

    std::fs::write(&conf, vmac_config("MASTER", 150)).unwrap();
    keel.signal(libc::SIGHUP);
    assert!(
        wait_until(Duration::from_secs(5), || holds_on(
            host,
            "vrrp.51",
            "10.88.0.100"
        ) && !vrrp_lab::holds(
            host,
            "10.88.0.100"
        ))
        .is_some(),
        "VIP not moved to vrrp.51:\n{}",
        keel.log_text()
    );
    assert_eq!(host.ns.link_mac("vrrp.51"), VMAC);

    std::fs::write(&conf, &plain).unwrap();
    keel.signal(libc::SIGHUP);
    assert!(
        wait_until(Duration::from_secs(5), || vrrp_lab::holds(
            host,
            "10.88.0.100"
        ) && !has_link(host, "vrrp.51"))
        .is_some(),
        "VIP not back on e0:\n{}",
        keel.log_text()
    );
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(entering(), transitions, "{}", keel.log_text());
    assert!(vrrp_lab::holds(host, "10.88.0.100"));
}

// Input: keel (priority 150) and keepalived 2.2.7 (priority 100), VRRPv3 over IPv6 with
// use_vmac for VRID 51, VIP fd00::100/64.
// Output: keel holds the VIP on vrrp.51 with MAC 00:00:5e:00:02:33, which carries e0's
// link-local and no link-local of its own; keel's adverts leave with that MAC from e0's
// link-local with a good checksum and keepalived stays BACKUP; SIGKILL of keel moves the
// VIP to keepalived's vrrp.51.
#[test]
fn ipv6_use_vmac_interoperates_with_keepalived() {
    let _serial = serial();
    let (lab, dir) = lab("kvmac6", 2);
    let (keel_host, ka_host) = (lab.host(0), lab.host(1));
    let config = |state: &str, priority: u8| {
        format!(
            "vrrp_instance VI_6 {{\n  state {state}\n  interface e0\n  virtual_router_id 51\n  \
             priority {priority}\n  advert_int 1\n  use_vmac\n  \
             virtual_ipaddress {{\n    fd00::100/64\n  }}\n}}\n"
        )
    };
    let link_local = keel_host.link_local();
    let mut capture = lab.capture("ip6 proto 112");
    let (mut keel, _keepalived) =
        keel_master_keepalived_backup((keel_host, ka_host), dir.path(), config, "fd00::100");
    assert_eq!(keel_host.ns.link_mac("vrrp.51"), "00:00:5e:00:02:33");
    let addresses = keel_host
        .ns
        .ip(&["-6", "-o", "addr", "show", "dev", "vrrp.51"]);
    assert!(
        addresses.contains(&format!(" {link_local}/64")),
        "{addresses}"
    );
    assert!(!addresses.contains("fe80::200:5eff"), "{addresses}");
    std::thread::sleep(Duration::from_secs(3));
    assert!(!holds_on(ka_host, "vrrp.51", "fd00::100"), "split brain");
    let rows = capture.read_fields(&["eth.src", "ipv6.src", "vrrp.prio", "vrrp.checksum.status"]);
    let keel_adverts: Vec<&Vec<String>> = rows.iter().filter(|r| r[2] == "150").collect();
    assert!(keel_adverts.len() >= 2, "{rows:?}");
    for row in &keel_adverts {
        assert_eq!(row[0], "00:00:5e:00:02:33", "{row:?}");
        assert_eq!(row[1], link_local, "{row:?}");
        assert_eq!(row[3], "1", "checksum status (tshark: 1 = Good): {row:?}");
    }
    keel.kill();
    assert!(
        wait_until(Duration::from_secs(6), || holds_on(
            ka_host,
            "vrrp.51",
            "fd00::100"
        ))
        .is_some(),
        "keepalived did not take over"
    );
}

// Input: keel (priority 150) and keepalived 2.2.7 (priority 100), both with use_vmac and
// vmac_xmit_base for VRID 51.
// Output: keel holds the VIP on vrrp.51, its adverts leave from e0 with e0's MAC (and a
// good checksum), and keepalived hears them: it stays BACKUP without the VIP.
#[test]
fn vmac_xmit_base_sends_from_the_parent() {
    let _serial = serial();
    let (lab, dir) = lab("kvmxb", 2);
    let (keel_host, ka_host) = (lab.host(0), lab.host(1));
    let config = |state: &str, priority: u8| {
        vmac_config(state, priority).replace("  use_vmac\n", "  use_vmac\n  vmac_xmit_base\n")
    };
    let mut capture = lab.capture("ip proto 112");
    let (_keel, _keepalived) =
        keel_master_keepalived_backup((keel_host, ka_host), dir.path(), config, "10.88.0.100");
    std::thread::sleep(Duration::from_secs(4));
    assert!(!holds_on(ka_host, "vrrp.51", "10.88.0.100"), "split brain");
    let rows = capture.read_fields(&["eth.src", "vrrp.prio", "vrrp.checksum.status"]);
    let keel_adverts: Vec<&Vec<String>> = rows.iter().filter(|r| r[1] == "150").collect();
    assert!(keel_adverts.len() >= 3, "{rows:?}");
    let base_mac = keel_host.mac();
    for row in &keel_adverts {
        assert_eq!(row[0], base_mac, "{row:?}");
        assert_eq!(row[2], "1", "checksum status (tshark: 1 = Good): {row:?}");
    }
}

// Input: a keel MASTER on vrrp.51; someone runs `ip link del vrrp.51`.
// Output: keel makes vrrp.51 again (virtual MAC) and the VIP is back on it within a few
// seconds (the instance passes through FAULT and BACKUP, as keepalived 2.2.7's does, with
// keepalived's log line; tests/vmac_link.rs compares the two step by step).
#[test]
fn deleted_vmac_is_made_again() {
    let _serial = serial();
    let (lab, dir) = lab("kvmdel", 1);
    let host = lab.host(0);
    let keel = start(
        Daemon::Keel,
        host,
        dir.path(),
        "keel",
        &vmac_config("MASTER", 150),
    );
    assert!(
        wait_until(Duration::from_secs(6), || holds_on(
            host,
            "vrrp.51",
            "10.88.0.100"
        ))
        .is_some()
    );
    host.ns.ip(&["link", "del", "vrrp.51"]);
    assert!(
        wait_until(Duration::from_secs(8), || has_link(host, "vrrp.51")
            && holds_on(host, "vrrp.51", "10.88.0.100"))
        .is_some(),
        "VMAC or VIP not back:\n{}",
        keel.log_text()
    );
    assert_eq!(host.ns.link_mac("vrrp.51"), VMAC);
    assert!(
        keel.log_text().contains("Interface vrrp.51 deleted"),
        "{}",
        keel.log_text()
    );
}
