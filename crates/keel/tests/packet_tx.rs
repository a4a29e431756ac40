//! Multicast adverts sent as whole frames on a packet socket (daemon/net/frames.rs), judged
//! on the bridge: they decode as VRRP with good checksums, TTL / hop limit 255 and the
//! right MACs; apart from the IPv4 id and header checksum and the IPv6 flow label they
//! are byte for byte what keepalived 2.2.7 sends for the same instance from the same host;
//! and a keepalived 2.2.7 backup accepts them (stays BACKUP), takes over when keel stops
//! and is preempted when keel comes back.
//!
//! Needs root, keepalived, tcpdump, tshark.

mod vrrp_lab;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use keel_lab::Host;
use vrrp_lab::{Daemon, Router, holds, lab, serial, start, wait_until};

const VIP4: &str = "10.88.0.100";
const VIP6: &str = "fd00:88::100";
const VIP_VMAC: &str = "10.88.0.103";
/// The VMAC of VRID 63 (RFC 5798 §7.3).
const VMAC: &str = "00:00:5e:00:01:3f";

/// VRRPv3 instances: VRID 61 over IPv4, 62 over IPv6 and, with `vmac`, 63 over IPv4 on
/// its VMAC (`vmac` false: the same instance on e0).
fn config(state: &str, priority: u8, vmac: bool) -> String {
    let instance = |name: &str, vrid: u8, vip: &str, extra: &str| {
        format!(
            "vrrp_instance {name} {{\n  state {state}\n  interface e0\n  virtual_router_id {vrid}\n  \
             priority {priority}\n  advert_int 1\n{extra}  virtual_ipaddress {{\n    {vip}\n  }}\n}}\n"
        )
    };
    format!(
        "global_defs {{\n  vrrp_version 3\n  vrrp_garp_master_delay 0\n}}\n{}{}{}",
        instance("V4", 61, "10.88.0.100/24", ""),
        instance("V6", 62, "fd00:88::100/64", ""),
        instance(
            "VM",
            63,
            "10.88.0.103/24",
            if vmac { "  use_vmac\n" } else { "" }
        ),
    )
}

/// Whether `host` has `address` on any interface (the VMAC's VIP is on vrrp.63).
fn holds_anywhere(host: &Host, address: &str) -> bool {
    let out = host.ns.ip_output(&["-o", "addr", "show"]);
    String::from_utf8_lossy(&out.stdout).contains(&format!(" {address}/"))
}

/// Fails the test (with `daemon`'s log) unless `host` holds VIP4 and VIP6 within 10 s;
/// `who` names the daemon in the message.
fn assert_master(host: &Host, daemon: &Router, who: &str) {
    assert!(
        wait_until(Duration::from_secs(10), || holds(host, VIP4)
            && holds(host, VIP6))
        .is_some(),
        "{who} never became master\n{}",
        daemon.log_text()
    );
}

fn holds_all(host: &Host) -> bool {
    holds(host, VIP4) && holds(host, VIP6) && holds_anywhere(host, VIP_VMAC)
}

fn holds_none(host: &Host) -> bool {
    !holds_anywhere(host, VIP4) && !holds_anywhere(host, VIP6) && !holds_anywhere(host, VIP_VMAC)
}

/// The Ethernet frames of a pcap file (microsecond or nanosecond, native byte order).
fn frames(file: &Path) -> Vec<Vec<u8>> {
    let bytes = std::fs::read(file).expect("pcap file");
    let mut frames = Vec::new();
    let mut at = 24;
    while at + 16 <= bytes.len() {
        let len = u32::from_ne_bytes(bytes[at + 8..at + 12].try_into().unwrap()) as usize;
        at += 16;
        if at + len > bytes.len() {
            break;
        }
        frames.push(bytes[at..at + len].to_vec());
        at += len;
    }
    frames
}

/// The first VRRP frame for `vrid` (IPv4 or IPv6) with a source MAC of `mac`.
fn frame_of(frames: &[Vec<u8>], vrid: u8, mac: [u8; 6]) -> Option<Vec<u8>> {
    frames
        .iter()
        .find(|f| {
            let vrrp_at = match f.get(12..14) {
                Some([0x08, 0x00]) => 14 + 20,
                Some([0x86, 0xdd]) => 14 + 40,
                _ => return false,
            };
            f[6..12] == mac && f.get(vrrp_at + 1) == Some(&vrid)
        })
        .cloned()
}

/// A frame with what legitimately differs between two senders of the same advert zeroed:
/// the IPv4 identification and header checksum, the IPv6 flow label.
fn masked(mut frame: Vec<u8>) -> Vec<u8> {
    match frame[12..14] {
        [0x08, 0x00] => {
            frame[18..20].fill(0);
            frame[24..26].fill(0);
        }
        _ => {
            frame[15] &= 0xf0;
            frame[16..18].fill(0);
        }
    }
    frame
}

fn mac_bytes(text: &str) -> [u8; 6] {
    let mut mac = [0u8; 6];
    for (slot, part) in mac.iter_mut().zip(text.split(':')) {
        *slot = u8::from_str_radix(part, 16).expect("MAC in hex");
    }
    mac
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// One row of tshark fields per VRRP packet in `file`, IPv4 header checksums verified.
fn tshark_rows(file: &Path, fields: &[&str]) -> Vec<Vec<String>> {
    let mut command = Command::new("tshark");
    command.arg("-r").arg(file).args([
        "-o",
        "ip.check_checksum:TRUE",
        "-Y",
        "vrrp",
        "-T",
        "fields",
    ]);
    for field in fields {
        command.args(["-e", field]);
    }
    let out = command.output().expect("tshark");
    assert!(out.status.success(), "tshark: {out:?}");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|line| line.split('\t').map(str::to_string).collect())
        .collect()
}

// Input: keepalived 2.2.7 as MASTER alone on host 0 (VRIDs 61 over IPv4, 62 over IPv6),
// its adverts captured; then keel as MASTER on host 0 (the same two, and VRID 63 on its
// VMAC) with keepalived as BACKUP on host 1, all at priority 150 against 100.
// Output: keel sends through its packet socket (its log says so); its VRID 61 and 62
// frames equal keepalived's but for IPv4 id/checksum and IPv6 flow label; every keel
// advert on the bridge has a good VRRP checksum (and a good IPv4 header checksum), TTL or
// hop limit 255, TOS / traffic class 0xc0, the group MAC as destination and e0's MAC (the
// VMAC for VRID 63) as source; keepalived stays BACKUP holding nothing. When keel stops
// (priority-0 frames) keepalived takes over all three; restarted, keel preempts back.
#[test]
fn framed_adverts_match_keepalived_and_a_keepalived_backup_accepts_them() {
    let _serial = serial();
    let (lab, dir) = lab("kptx", 2);
    let (h0, h1) = (lab.host(0), lab.host(1));
    h0.add_address("fd00:88::1/64");
    h1.add_address("fd00:88::2/64");
    let mac0 = mac_bytes(&h0.mac());
    let link_local0 = h0.link_local();

    // keepalived's frames for the reference.
    let mut reference = lab.capture("ip proto 112 or ip6 proto 112");
    let mut keepalived = start(
        Daemon::Keepalived,
        h0,
        dir.path(),
        "ka-master",
        &config("MASTER", 150, false),
    );
    assert_master(h0, &keepalived, "keepalived");
    std::thread::sleep(Duration::from_millis(1500));
    reference.stop();
    keepalived.kill();
    for (family, vip) in [
        ("-4", "10.88.0.100/24"),
        ("-6", "fd00:88::100/64"),
        ("-4", "10.88.0.103/24"),
    ] {
        let _ = h0.ns.ip_output(&[family, "addr", "del", vip, "dev", "e0"]);
    }
    let reference = frames(reference.file());

    // keel as master, keepalived as backup.
    let mut capture = lab.capture("ip proto 112 or ip6 proto 112");
    let backup = start(
        Daemon::Keepalived,
        h1,
        dir.path(),
        "ka-backup",
        &config("BACKUP", 100, false),
    );
    let keel_config = config("MASTER", 150, true);
    let mut keel = start(Daemon::Keel, h0, dir.path(), "keel", &keel_config);
    assert!(
        wait_until(Duration::from_secs(10), || holds_all(h0) && holds_none(h1)).is_some(),
        "keel never became the only master\nkeel: {}\nkeepalived: {}",
        keel.log_text(),
        backup.log_text()
    );
    std::thread::sleep(Duration::from_millis(3500));
    assert!(
        holds_all(h0) && holds_none(h1),
        "keepalived took over from keel\n{}",
        backup.log_text()
    );
    assert!(
        !backup.log_text().contains("Entering MASTER STATE"),
        "keepalived became master: {}",
        backup.log_text()
    );
    let log = keel.log_text();
    assert!(
        log.contains("multicast adverts on e0 (Ipv4) go out as frames")
            && log.contains("multicast adverts on e0 (Ipv6) go out as frames")
            && log.contains("multicast adverts on vrrp.63 (Ipv4) go out as frames"),
        "keel did not use its packet sockets:\n{log}"
    );
    capture.stop();

    // Byte for byte against keepalived.
    let sent = frames(capture.file());
    for vrid in [61, 62] {
        let ours =
            frame_of(&sent, vrid, mac0).unwrap_or_else(|| panic!("no keel frame for {vrid}"));
        let theirs = frame_of(&reference, vrid, mac0)
            .unwrap_or_else(|| panic!("no keepalived frame for {vrid}"));
        assert_eq!(
            hex(&masked(ours)),
            hex(&masked(theirs)),
            "VRID {vrid}: keel's frame (left) differs from keepalived's (right)"
        );
    }

    // Every keel advert, decoded by tshark.
    let fields = [
        "eth.src",
        "eth.dst",
        "ip.src",
        "ip.ttl",
        "ip.dsfield",
        "ip.checksum.status",
        "ipv6.src",
        "ipv6.hlim",
        "ipv6.tclass",
        "vrrp.virt_rtr_id",
        "vrrp.prio",
        "vrrp.checksum.status",
    ];
    let rows = tshark_rows(capture.file(), &fields);
    let mut seen = [0usize; 3];
    for row in &rows {
        let field = |name: &str| row[fields.iter().position(|f| *f == name).unwrap()].as_str();
        assert_eq!(field("vrrp.prio"), "150", "only keel sends: {row:?}");
        assert_eq!(
            field("vrrp.checksum.status"),
            "1",
            "bad VRRP checksum: {row:?}"
        );
        match field("vrrp.virt_rtr_id") {
            "61" | "63" => {
                let vmac = field("vrrp.virt_rtr_id") == "63";
                let source = if vmac { VMAC.to_string() } else { h0.mac() };
                assert_eq!(field("eth.src"), source, "{row:?}");
                assert_eq!(field("eth.dst"), "01:00:5e:00:00:12", "{row:?}");
                assert_eq!(field("ip.src"), "10.88.0.1", "{row:?}");
                assert_eq!(field("ip.ttl"), "255", "{row:?}");
                assert_eq!(field("ip.dsfield"), "0xc0", "{row:?}");
                assert_eq!(
                    field("ip.checksum.status"),
                    "1",
                    "bad IPv4 checksum: {row:?}"
                );
                seen[if vmac { 2 } else { 0 }] += 1;
            }
            "62" => {
                assert_eq!(field("eth.src"), h0.mac(), "{row:?}");
                assert_eq!(field("eth.dst"), "33:33:00:00:00:12", "{row:?}");
                assert_eq!(field("ipv6.src"), link_local0, "{row:?}");
                assert_eq!(field("ipv6.hlim"), "255", "{row:?}");
                assert!(field("ipv6.tclass").ends_with("c0"), "{row:?}");
                seen[1] += 1;
            }
            other => panic!("unexpected VRID {other}: {row:?}"),
        }
    }
    assert!(
        seen.iter().all(|&n| n >= 3),
        "adverts per VRID 61/62/63: {seen:?}"
    );

    // keel stops: its priority-0 frames hand over at once; restarted, it preempts back.
    assert!(
        keel.stop(Duration::from_secs(10)).is_some(),
        "keel did not stop"
    );
    assert!(
        wait_until(Duration::from_secs(5), || holds_all(h1) && holds_none(h0)).is_some(),
        "keepalived did not take over\n{}",
        backup.log_text()
    );
    let _keel = start(Daemon::Keel, h0, dir.path(), "keel-again", &keel_config);
    assert!(
        wait_until(Duration::from_secs(10), || holds_all(h0) && holds_none(h1)).is_some(),
        "keel did not preempt back\n{}",
        backup.log_text()
    );
}

// Input: keel as the only router (VRID 61 over IPv4 and 62 over IPv6, MASTER), then e0's
// MAC changed to 02:00:00:00:61:62 while it runs.
// Output: the adverts before the change come from the old MAC, those sent a moment after
// it (the netlink link event reached the daemon) from the new one, with good checksums.
#[test]
fn framed_adverts_follow_a_changed_interface_mac() {
    let _serial = serial();
    let (lab, dir) = lab("kptxmac", 1);
    let h0 = lab.host(0);
    h0.add_address("fd00:88::1/64");
    let old_mac = h0.mac();
    let new_mac = "02:00:00:00:61:62";
    let mut capture = lab.capture("ip proto 112 or ip6 proto 112");
    let config = config("MASTER", 150, false);
    let keel = start(Daemon::Keel, h0, dir.path(), "keel", &config);
    assert_master(h0, &keel, "keel");
    std::thread::sleep(Duration::from_millis(1500));
    let changed_at = vrrp_lab::epoch();
    h0.ns.ip(&["link", "set", "dev", "e0", "address", new_mac]);
    std::thread::sleep(Duration::from_millis(3500));
    capture.stop();
    let rows = tshark_rows(
        capture.file(),
        &[
            "frame.time_epoch",
            "eth.src",
            "vrrp.virt_rtr_id",
            "vrrp.checksum.status",
        ],
    );
    let (mut before, mut after) = (0, 0);
    for row in &rows {
        let time: f64 = row[0].parse().expect("epoch time");
        assert_eq!(row[3], "1", "bad VRRP checksum: {row:?}");
        if time < changed_at {
            assert_eq!(row[1], old_mac, "{row:?}");
            before += 1;
        } else if time > changed_at + 0.5 {
            assert_eq!(row[1], new_mac, "an advert kept the old MAC: {row:?}");
            after += 1;
        }
    }
    assert!(
        before >= 2 && after >= 4,
        "before {before}, after {after}: {rows:?}"
    );
    assert!(
        keel.log_text()
            .contains("e0: adverts now framed from 02:00:00:00:61:62"),
        "{}",
        keel.log_text()
    );
}
