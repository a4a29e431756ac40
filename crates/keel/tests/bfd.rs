//! BFD in network namespaces: keel's sessions against Debian's keepalived 2.2.7 and
//! against keel, VRRP's `track_bfd` following them, and tshark judging keel's packets.
//!
//! Needs root, keepalived, tcpdump, tshark.

mod vrrp_lab;

use std::path::Path;
use std::sync::MutexGuard;
use std::time::Duration;

use keel_lab::{Capture, DaemonFiles, Host, Lab, TempDir};
use vrrp_lab::{Router, holds, lab, logs_within, reload_with, serial, start_keel, wait_until};

/// keepalived with its BFD child (no `-P`: that would keep BFD from starting).
fn start_keepalived(host: &Host, dir: &Path, name: &str, config: &str) -> Router {
    let files = DaemonFiles::write(dir, name, config);
    let bfd_pid = dir.join(format!("{name}-bfd.pid"));
    let check_pid = dir.join(format!("{name}-check.pid"));
    let mut argv: Vec<String> = ["keepalived", "-n", "-l", "-D"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    for arg in files.args() {
        argv.push(arg.to_string_lossy().into_owned());
    }
    for (flag, path) in [("-b", &bfd_pid), ("-c", &check_pid)] {
        argv.push(flag.to_string());
        argv.push(path.display().to_string());
    }
    let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
    Router::guarded(host.ns.spawn_isolated(&argv, Some(&files.log)), &files.log)
}

/// The set-up most tests here share: the lab lock, a lab of two hosts (10.88.0.1 and .2)
/// with its directory, and a capture of the BFD control packets on its bridge.
fn captured_pair(prefix: &str) -> (MutexGuard<'static, ()>, Lab, TempDir, Capture) {
    let serial = serial();
    let (lab, dir) = lab(prefix, 2);
    let capture = lab.capture("udp port 3784");
    (serial, lab, dir, capture)
}

/// A `bfd_instance peer` towards `neighbor`: 100 ms both ways, multiplier 3.
fn bfd_block(neighbor: &str, extra: &str) -> String {
    format!(
        "bfd_instance peer {{\n  neighbor_ip {neighbor}\n  min_rx 100\n  min_tx 100\n  \
         multiplier 3\n{extra}}}\n"
    )
}

/// A VRRP instance on e0 holding 10.88.0.100, tracking `peer` with `track`.
fn vrrp_block(state: &str, priority: u8, track: &str) -> String {
    format!(
        "global_defs {{\n  vrrp_garp_master_delay 0\n}}\n\
         vrrp_instance VI_1 {{\n  state {state}\n  interface e0\n  virtual_router_id 62\n  \
         priority {priority}\n  advert_int 1\n  virtual_ipaddress {{\n    10.88.0.100/24\n  }}\n\
         {track}}}\n"
    )
}

/// Fails the test unless both ends of `peer` log Up within 5 s.
fn assert_both_up(keel: &Router, keepalived: &Router) {
    assert!(
        wait_until(Duration::from_secs(5), || up_in(&keel.log_text()) == 1
            && up_in(&keepalived.log_text()) == 1)
        .is_some(),
        "sessions did not come up\nkeel: {}\nkeepalived: {}",
        keel.log_text(),
        keepalived.log_text()
    );
}

/// Starts keel in the foreground on `host` with `flags`, the files `dir/NAME.*` and TMPDIR
/// set to `dir` (where its SIGUSR1 dump and its checker child's files go).
fn keel_with_tmpdir(
    host: &Host,
    dir: &Path,
    name: &str,
    config: &str,
    flags: &[&str],
) -> (Router, DaemonFiles) {
    let files = DaemonFiles::write(dir, name, config);
    let mut command = host.ns.command(&vrrp_lab::keel_binary());
    command.args(flags).args(files.args()).env("TMPDIR", dir);
    (Router::spawn(command, &files.log), files)
}

fn up_in(log: &str) -> usize {
    log.matches("(peer) Entering Up state").count()
}

/// Whether the session's last state in `log` is Up: where it settled. Two keels started in
/// the same millisecond were seen (once, in a CI dry run) to go Up, then Down on "Neighbor
/// Signaled Session Down", then Up again within 1 ms; why is not known yet.
fn is_up(log: &str) -> bool {
    log.lines()
        .rev()
        .find(|line| line.contains("(peer) Entering "))
        .is_some_and(|line| line.contains("(peer) Entering Up state"))
}

fn down_in(log: &str) -> usize {
    log.lines()
        .filter(|l| l.contains("(peer) Entering Down state"))
        .count()
}

/// (time, source, state) of every BFD control packet in a capture.
fn bfd_packets(capture: &mut Capture) -> Vec<(f64, String, String)> {
    capture
        .read_fields(&["frame.time_epoch", "ip.src", "bfd.sta", "_ws.malformed"])
        .into_iter()
        .filter(|row| row.len() >= 3 && !row[2].is_empty())
        .map(|row| {
            assert!(
                row.get(3).is_none_or(|m| m.is_empty()),
                "tshark: malformed {row:?}"
            );
            // tshark prints the state as hex ("0x03"); keep its number.
            let state = u8::from_str_radix(row[2].trim_start_matches("0x"), 16)
                .expect("bfd.sta is a number");
            (
                row[0].parse().expect("epoch time"),
                row[1].clone(),
                state.to_string(),
            )
        })
        .collect()
}

// Input: keel (10.88.0.1) with `bfd_instance peer` and a MASTER instance that tracks it
// with weight 0; keepalived 2.2.7 (10.88.0.2) with the matching BFD instance, started
// after keel. Then keepalived is SIGKILLed, and started again.
// Output: both sessions come Up and keel's instance takes the VIP only then (FAULT while
// the session is down, spec §3.5); tshark decodes every packet as valid BFD. After the
// kill keel declares the session Down 3 × 100 ms (detect mult × agreed interval,
// RFC 5880 §6.8.4) after keepalived's last packet, within 10 %, and the instance drops the
// VIP (FAULT). When keepalived returns the session comes Up and the VIP comes back.
#[test]
fn keel_follows_keepalived_bfd_and_faults_when_it_dies() {
    let (_serial, lab, dir, mut capture) = captured_pair("kbf");
    let (h0, h1) = (lab.host(0), lab.host(1));
    let keel_config = format!(
        "{}{}",
        bfd_block("10.88.0.2", ""),
        vrrp_block("MASTER", 150, "  track_bfd {\n    peer\n  }\n")
    );
    let keel = start_keel(h0, dir.path(), "keel", &keel_config);
    std::thread::sleep(Duration::from_millis(1500));
    assert!(!holds(h0, "10.88.0.100"), "FAULT while the session is down");
    let keepalived_config = bfd_block("10.88.0.1", "");
    let mut keepalived = start_keepalived(h1, dir.path(), "ka", &keepalived_config);
    assert_both_up(&keel, &keepalived);
    assert!(
        wait_until(Duration::from_secs(5), || holds(h0, "10.88.0.100")).is_some(),
        "instance did not leave FAULT\nkeel: {}",
        keel.log_text()
    );
    std::thread::sleep(Duration::from_millis(1000));

    keepalived.kill();
    assert!(
        wait_until(Duration::from_secs(3), || down_in(&keel.log_text()) >= 1).is_some(),
        "keel never saw the session go down\n{}",
        keel.log_text()
    );
    assert!(
        wait_until(Duration::from_secs(3), || !holds(h0, "10.88.0.100")).is_some(),
        "instance kept the VIP with its tracked session down"
    );
    std::thread::sleep(Duration::from_millis(1500));

    let _keepalived = start_keepalived(h1, dir.path(), "ka-again", &keepalived_config);
    assert!(
        wait_until(Duration::from_secs(5), || up_in(&keel.log_text()) == 2).is_some(),
        "session did not come back up\n{}",
        keel.log_text()
    );
    assert!(
        wait_until(Duration::from_secs(5), || holds(h0, "10.88.0.100")).is_some(),
        "instance did not recover\n{}",
        keel.log_text()
    );

    // The wire: keepalived's last packet before the kill, keel's first Down after it.
    let packets = bfd_packets(&mut capture);
    let keel_up = packets
        .iter()
        .position(|(_, src, sta)| src == "10.88.0.1" && sta == "3")
        .expect("keel was Up on the wire");
    let keel_down = keel_up
        + packets[keel_up..]
            .iter()
            .position(|(_, src, sta)| src == "10.88.0.1" && sta == "1")
            .expect("keel announced Down on the wire");
    let down_at = packets[keel_down].0;
    let last_heard = packets[..keel_down]
        .iter()
        .filter(|(_, src, _)| src == "10.88.0.2")
        .map(|(time, _, _)| *time)
        .reduce(f64::max)
        .expect("keepalived spoke before");
    let detection = down_at - last_heard;
    println!(
        "BFD detection: {:.1} ms (bound 300 ms + 10 %)",
        detection * 1e3
    );
    assert!(
        (0.29..=0.33).contains(&detection),
        "detection {detection} s, expected 0.3 s"
    );
    assert!(packets.iter().any(|(_, src, _)| src == "10.88.0.1"));
}

// Input: keepalived 2.2.7 starts first; keel joins as a passive session.
// Output: keepalived initiates (keel is silent until spoken to, RFC 5880 §6.1), both come
// Up; keel's first packet follows one of keepalived's.
#[test]
fn keepalived_initiates_towards_a_passive_keel() {
    let (_serial, lab, dir, mut capture) = captured_pair("kbp");
    let (h0, h1) = (lab.host(0), lab.host(1));
    let keepalived = start_keepalived(h1, dir.path(), "ka", &bfd_block("10.88.0.1", ""));
    std::thread::sleep(Duration::from_millis(1200));
    let keel = start_keel(
        h0,
        dir.path(),
        "keel",
        &bfd_block("10.88.0.2", "  passive\n"),
    );
    assert_both_up(&keel, &keepalived);
    let packets = bfd_packets(&mut capture);
    let first_keel = packets
        .iter()
        .position(|(_, src, _)| src == "10.88.0.1")
        .expect("keel answered");
    assert!(first_keel > 0 && packets[first_keel - 1].1 == "10.88.0.2");
    // keel answers keepalived's Down with Init.
    assert_eq!(packets[first_keel].2, "2");
}

// Input: three keels. Host 0 runs VRRP at priority 150 with `track_bfd { peer weight
// -100 }` and a session to host 2; host 1 runs VRRP at 100; host 2 runs only the other end
// of the session. Host 2's keel is SIGKILLed, then started again.
// Output: keel ⇄ keel sessions come Up; while Down, host 0's effective priority is 50 and
// host 1 takes the VIP; when the session returns, host 0 preempts back.
#[test]
fn keel_weight_hands_the_vip_to_the_peer_while_the_session_is_down() {
    let _serial = serial();
    let (lab, dir) = lab("kbw", 3);
    let (h0, h1, h2) = (lab.host(0), lab.host(1), lab.host(2));
    let bfd_end = bfd_block("10.88.0.1", "");
    let mut far = start_keel(h2, dir.path(), "far", &bfd_end);
    let r0 = start_keel(
        h0,
        dir.path(),
        "r0",
        &format!(
            "{}{}",
            bfd_block("10.88.0.3", ""),
            vrrp_block("BACKUP", 150, "  track_bfd {\n    peer weight -100\n  }\n")
        ),
    );
    let r1 = start_keel(h1, dir.path(), "r1", &vrrp_block("BACKUP", 100, ""));
    assert!(
        wait_until(Duration::from_secs(8), || is_up(&r0.log_text())
            && is_up(&far.log_text())
            && holds(h0, "10.88.0.100")
            && !holds(h1, "10.88.0.100"))
        .is_some(),
        "host 0 did not become master with its session Up\nr0: {}\nfar: {}",
        r0.log_text(),
        far.log_text()
    );
    far.kill();
    assert!(
        wait_until(Duration::from_secs(8), || holds(h1, "10.88.0.100")
            && !holds(h0, "10.88.0.100"))
        .is_some(),
        "host 1 did not take over at 100 against 150 − 100\nr0: {}\nr1: {}",
        r0.log_text(),
        r1.log_text()
    );
    let _far = start_keel(h2, dir.path(), "far-again", &bfd_end);
    assert!(
        wait_until(Duration::from_secs(8), || holds(h0, "10.88.0.100")
            && !holds(h1, "10.88.0.100"))
        .is_some(),
        "host 0 did not preempt back\nr0: {}",
        r0.log_text()
    );
}

/// Whether the real server 10.88.0.2 is in `host`'s `inet keel` table.
fn real_server_in(host: &Host) -> bool {
    keel_table(host).contains("10.88.0.2")
}

/// `nft list table inet keel` in `host`'s namespace (empty when there is none).
fn keel_table(host: &Host) -> String {
    let out = host
        .ns
        .command("nft")
        .args(["list", "table", "inet", "keel"])
        .output()
        .expect("nft runs");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

// Input: keel as a director (VRRP and its checker child, nftables backend) with a real
// server 10.88.0.2:80 whose only checker is `BFD_CHECK { name rs }`; keepalived 2.2.7 on
// 10.88.0.2 runs the other end of `rs`. keepalived is SIGKILLed, then started again.
// Output: the real server stays out while the session is Down (it starts Down), enters
// the load balancer once the session is Up, leaves it when
// the session goes Down, and comes back with the session (the daemon's BFD task feeds the
// checker child, `checker::bfd_feed`).
#[test]
fn bfd_check_follows_the_session() {
    let _serial = serial();
    let (lab, dir) = lab("kbc", 2);
    let (h0, h1) = (lab.host(0), lab.host(1));
    let config = format!(
        "global_defs {{\n  keel_lb_backend nftables\n}}\n{}\
         virtual_server 10.88.0.1 80 {{\n  delay_loop 1\n  lvs_sched rr\n  lvs_method NAT\n  \
         protocol TCP\n  real_server 10.88.0.2 80 {{\n    BFD_CHECK {{\n      name rs\n    }}\n  \
         }}\n}}\n",
        bfd_block("10.88.0.2", "").replace("peer", "rs")
    );
    let checkers_pid = dir.path().join("dir-checkers.pid");
    let checkers_pid = checkers_pid.to_str().expect("paths are UTF-8");
    let (director, _) = keel_with_tmpdir(
        h0,
        dir.path(),
        "dir",
        &config,
        &["-n", "-l", "-D", "-c", checkers_pid],
    );
    assert!(
        wait_until(Duration::from_secs(10), || !keel_table(h0).is_empty()).is_some(),
        "the checker never made its table\n{}",
        director.log_text()
    );
    std::thread::sleep(Duration::from_millis(1500));
    assert!(
        !real_server_in(h0),
        "the real server is in before its session is Up\n{}",
        keel_table(h0)
    );
    let peer_config = bfd_block("10.88.0.1", "").replace("peer", "rs");
    let mut keepalived = start_keepalived(h1, dir.path(), "ka", &peer_config);
    assert!(
        wait_until(Duration::from_secs(10), || real_server_in(h0)).is_some(),
        "the real server never entered nftables\n{}\n{}",
        keel_table(h0),
        director.log_text()
    );
    keepalived.kill();
    assert!(
        wait_until(Duration::from_secs(5), || !real_server_in(h0)).is_some(),
        "the real server stayed with its session down\n{}\n{}",
        keel_table(h0),
        director.log_text()
    );
    let _keepalived = start_keepalived(h1, dir.path(), "ka-again", &peer_config);
    assert!(
        wait_until(Duration::from_secs(10), || real_server_in(h0)).is_some(),
        "the real server did not come back\n{}",
        director.log_text()
    );
}

// Input: keel ⇄ keepalived Up (keel with TMPDIR pointing at the test directory); keel gets
// SIGUSR1, then SIGHUP with the session's min_tx changed from 100 to 200 ms and a second
// bfd_instance added, then SIGHUP with that second instance removed.
// Output: `keepalived_bfd.data` shows the session Up in keepalived's wording; the reloads
// never take `peer` down (sessions are matched by name and keep their state; the new
// interval goes through a Poll Sequence, which tshark sees as P then F); the added session
// starts, and is removed again.
#[test]
fn reload_keeps_sessions_up_and_sigusr1_dumps_them() {
    let (_serial, lab, dir, mut capture) = captured_pair("kbr");
    let (h0, h1) = (lab.host(0), lab.host(1));
    let _keepalived = start_keepalived(h1, dir.path(), "ka", &bfd_block("10.88.0.1", ""));
    let (keel, files) = keel_with_tmpdir(
        h0,
        dir.path(),
        "keel",
        &bfd_block("10.88.0.2", ""),
        &["-n", "-l", "-D", "-P"],
    );
    assert!(
        wait_until(Duration::from_secs(5), || up_in(&keel.log_text()) == 1).is_some(),
        "session did not come up\n{}",
        keel.log_text()
    );
    std::thread::sleep(Duration::from_millis(500));

    keel.signal(libc::SIGUSR1);
    let data = dir.path().join("keepalived_bfd.data");
    assert!(
        wait_until(Duration::from_secs(3), || data.exists()).is_some(),
        "no keepalived_bfd.data\n{}",
        keel.log_text()
    );
    let text = std::fs::read_to_string(&data).expect("readable dump");
    for line in [
        "------< BFD Topology >------",
        " BFD Instance = peer",
        "   Neighbor IP = 10.88.0.2",
        "   local state = Up",
        "   remote state = Up",
        "   local diag = No Diagnostic",
        "   remote min tx intv = 100000 us",
        "   local detection time = 300000 us",
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "missing {line:?} in\n{text}"
        );
    }

    let changed = format!(
        "{}{}",
        bfd_block("10.88.0.2", "").replace("min_tx 100", "min_tx 200"),
        "bfd_instance extra {\n  neighbor_ip 10.88.0.9\n}\n"
    );
    reload_with(&keel, &files.config, &changed);
    assert!(
        logs_within(
            &keel,
            Duration::from_secs(3),
            "BFD_Instance(extra) starting"
        ),
        "the added instance did not start\n{}",
        keel.log_text()
    );
    std::thread::sleep(Duration::from_millis(1000));
    reload_with(&keel, &files.config, &bfd_block("10.88.0.2", ""));
    assert!(
        logs_within(&keel, Duration::from_secs(3), "BFD_Instance(extra) removed"),
        "the removed instance stayed\n{}",
        keel.log_text()
    );
    std::thread::sleep(Duration::from_millis(1000));
    assert_eq!(down_in(&keel.log_text()), 0, "{}", keel.log_text());
    assert_eq!(up_in(&keel.log_text()), 1, "{}", keel.log_text());

    let flags = capture.read_fields(&["ip.src", "bfd.flags.p", "bfd.flags.f"]);
    let keel_polls = flags
        .iter()
        .filter(|row| row[0] == "10.88.0.1" && row.get(1).is_some_and(|p| p == "1" || p == "True"))
        .count();
    let keepalived_finals = flags
        .iter()
        .filter(|row| row[0] == "10.88.0.2" && row.get(2).is_some_and(|f| f == "1" || f == "True"))
        .count();
    // One poll entering Up, one for each changed interval (100 → 200 → 100 ms).
    assert!(keel_polls >= 3, "keel polls: {keel_polls}\n{flags:?}");
    assert!(
        keepalived_finals >= 3,
        "keepalived finals: {keepalived_finals}"
    );
}

// Input: keel (fd00:88::1) and keepalived 2.2.7 (fd00:88::2) with IPv6 bfd_instances
// (keepalived's default hop limit 64 both ways).
// Output: both sessions come Up over IPv6, and tshark decodes keel's packets.
#[test]
fn ipv6_sessions_come_up_with_keepalived() {
    let _serial = serial();
    let (lab, dir) = lab("kb6", 2);
    let (h0, h1) = (lab.host(0), lab.host(1));
    h0.add_address("fd00:88::1/64");
    h1.add_address("fd00:88::2/64");
    std::thread::sleep(Duration::from_millis(500));
    let mut capture = lab.capture("udp port 3784");
    let keepalived = start_keepalived(h1, dir.path(), "ka", &bfd_block("fd00:88::1", ""));
    let keel = start_keel(h0, dir.path(), "keel", &bfd_block("fd00:88::2", ""));
    assert_both_up(&keel, &keepalived);
    let rows = capture.read_fields(&["ipv6.src", "ipv6.hlim", "bfd.sta", "_ws.malformed"]);
    let from_keel: Vec<&Vec<String>> = rows.iter().filter(|r| r[0] == "fd00:88::1").collect();
    assert!(!from_keel.is_empty(), "{rows:?}");
    for row in from_keel {
        assert_eq!(row[1], "64", "keepalived's IPv6 hop limit: {row:?}");
        assert!(
            !row[2].is_empty() && row.get(3).is_none_or(|m| m.is_empty()),
            "{row:?}"
        );
    }
}
