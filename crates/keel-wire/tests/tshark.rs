//! Wireshark's dissectors as an independent judge: packets keel-wire encodes are written to
//! a pcap file and read back by `tshark -V`, which must see valid VRRP (checksum Good),
//! ARP and ICMPv6 with the fields we meant.
//!
//! tshark (Debian package `tshark`) is required: without it this test fails, it does not
//! skip. tshark 4.0 always verifies the VRRP checksum (there is no `vrrp.validate_checksum`
//! preference; `vrrp.v3_checksum_as_in_v2` stays FALSE); `ip.check_checksum` turns on the
//! IPv4 header check as well.

use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use keel_wire::advert::{AhKey, Ipv4Envelope, emit_ipv4};
use keel_wire::auth::auth_data;
use keel_wire::ethernet::{self, Address, ETHERTYPE_IPV4, ETHERTYPE_IPV6};
use keel_wire::vrrp::{Addresses, Auth, ChecksumMode, Endpoints, Repr, Version};
use keel_wire::{arp, ipv4, ipv6, ndisc};

/// A pcap file that deletes itself.
struct PcapFile(PathBuf);

impl PcapFile {
    /// Writes `frames` as a pcap (microsecond timestamps, linktype 1 = Ethernet), the
    /// format being 24 bytes of file header then 16 bytes of header per record.
    fn ethernet(frames: &[Vec<u8>]) -> PcapFile {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("keel-wire-tshark-{}-{n}.pcap", std::process::id()));
        let mut bytes = Vec::new();
        bytes.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes()); // magic, microseconds
        bytes.extend_from_slice(&2u16.to_le_bytes()); // version 2.4
        bytes.extend_from_slice(&4u16.to_le_bytes());
        bytes.extend_from_slice(&0i32.to_le_bytes()); // thiszone
        bytes.extend_from_slice(&0u32.to_le_bytes()); // sigfigs
        bytes.extend_from_slice(&65535u32.to_le_bytes()); // snaplen
        bytes.extend_from_slice(&1u32.to_le_bytes()); // LINKTYPE_ETHERNET
        for (i, frame) in frames.iter().enumerate() {
            let len = u32::try_from(frame.len()).expect("test frames are small");
            let secs = u32::try_from(i).expect("few frames");
            bytes.extend_from_slice(&secs.to_le_bytes());
            bytes.extend_from_slice(&0u32.to_le_bytes());
            bytes.extend_from_slice(&len.to_le_bytes());
            bytes.extend_from_slice(&len.to_le_bytes());
            bytes.extend_from_slice(frame);
        }
        std::fs::write(&path, bytes).expect("write pcap to the temp dir");
        PcapFile(path)
    }
}

impl Drop for PcapFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Runs tshark on the file and returns the verbose text of each frame, in order.
fn dissect(file: &PcapFile, prefs: &[&str]) -> Vec<String> {
    let mut command = Command::new("tshark");
    command
        .arg("-r")
        .arg(&file.0)
        .args(["-V", "-o", "ip.check_checksum:TRUE"]);
    for pref in prefs {
        command.args(["-o", pref]);
    }
    let output = command
        .output()
        .expect("tshark must be installed (Debian package `tshark`) for the wire checks");
    assert!(
        output.status.success(),
        "tshark failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    let mut frames: Vec<String> = Vec::new();
    for line in text.lines() {
        if line.starts_with("Frame ") {
            frames.push(String::new());
        }
        if let Some(frame) = frames.last_mut() {
            frame.push_str(line.trim());
            frame.push('\n');
        }
    }
    frames
}

/// Asserts each expected line appears in the frame's text. A `…` in an expected line stands
/// for any text, for the parts (manufacturer names, RFC notes) that vary between Wireshark
/// releases.
fn assert_has(frame: &str, expected: &[&str]) {
    for wanted in expected {
        let matches = |line: &str| match wanted.split_once('…') {
            Some((prefix, suffix)) => line.starts_with(prefix) && line.ends_with(suffix),
            None => line == *wanted,
        };
        assert!(
            frame.lines().any(matches),
            "tshark did not show {wanted:?} in:\n{frame}"
        );
    }
}

const SRC: Ipv4Addr = Ipv4Addr::new(10, 99, 0, 1);
const PEER: Ipv4Addr = Ipv4Addr::new(10, 99, 0, 2);
const MAC: Address = Address::vrrp_ipv4(51);

fn v2(auth: Auth) -> Repr {
    Repr {
        version: Version::V2 { adver_int: 1, auth },
        vrid: 51,
        priority: 160,
        addresses: Addresses::V4(vec![Ipv4Addr::new(10, 99, 0, 100)]),
    }
}

fn v3() -> Repr {
    Repr {
        version: Version::V3 { max_adver_int: 50 },
        vrid: 52,
        priority: 150,
        addresses: Addresses::V4(vec![
            Ipv4Addr::new(10, 99, 0, 101),
            Ipv4Addr::new(10, 99, 0, 102),
        ]),
    }
}

fn ipv4_frame(dst: Ipv4Addr, repr: &Repr, ah: Option<&AhKey>) -> Vec<u8> {
    ipv4_frame_with(dst, repr, ah, ChecksumMode::Standard)
}

fn ipv4_frame_with(dst: Ipv4Addr, repr: &Repr, ah: Option<&AhKey>, mode: ChecksumMode) -> Vec<u8> {
    let dst_mac = if dst.is_multicast() {
        Address::ipv4_multicast(dst)
    } else {
        Address([2, 0, 0, 0, 0, 2])
    };
    let mut frame = vec![0u8; 256];
    ethernet::Repr {
        destination: dst_mac,
        source: MAC,
        ethertype: ETHERTYPE_IPV4,
    }
    .emit(&mut frame)
    .unwrap();
    let envelope = Ipv4Envelope {
        src_addr: SRC,
        dst_addr: dst,
        ident: 7,
        ttl: 255,
    };
    let len = emit_ipv4(
        &envelope,
        repr,
        mode,
        ah,
        &mut frame[ethernet::HEADER_LEN..],
    )
    .unwrap();
    frame.truncate(ethernet::HEADER_LEN + len);
    frame
}

fn ipv6_frame() -> Vec<u8> {
    let src: Ipv6Addr = "fe80::1".parse().unwrap();
    let repr = Repr {
        version: Version::V3 { max_adver_int: 100 },
        vrid: 53,
        priority: 200,
        addresses: Addresses::V6(vec![
            "2001:db8::101".parse().unwrap(),
            "fe80::53".parse().unwrap(),
        ]),
    };
    let mut frame = vec![0u8; 256];
    ethernet::Repr {
        destination: Address::ipv6_multicast(ipv6::VRRP_GROUP),
        source: Address::vrrp_ipv6(53),
        ethertype: ETHERTYPE_IPV6,
    }
    .emit(&mut frame)
    .unwrap();
    let ip = ipv6::Repr {
        traffic_class: 0,
        src_addr: src,
        dst_addr: ipv6::VRRP_GROUP,
        next_header: ipv4::PROTOCOL_VRRP,
        hop_limit: 255,
        payload_len: repr.buffer_len(),
    };
    ip.emit(&mut frame[ethernet::HEADER_LEN..]).unwrap();
    let at = ethernet::HEADER_LEN + ipv6::HEADER_LEN;
    let endpoints = Endpoints::V6 {
        src,
        dst: ipv6::VRRP_GROUP,
    };
    repr.emit(&mut frame[at..], &endpoints, ChecksumMode::Standard)
        .unwrap();
    frame.truncate(at + repr.buffer_len());
    frame
}

// Input: the eight kinds of packet keel sends — v2 multicast, v2 PASS, v2 AH, v3 IPv4
// multicast, v3 IPv4 unicast, v3 IPv6, gratuitous ARP, unsolicited NA — in one capture.
// Output: tshark decodes each as VRRP (checksum Good, version, VRID, priority, interval,
// addresses, auth), ARP or ICMPv6 NA with the values we encoded.
#[test]
fn tshark_accepts_what_keel_wire_encodes() {
    let key = AhKey {
        key: auth_data(b"secret"),
        sequence_number: 3,
        unicast: false,
    };
    let vip6: Ipv6Addr = "2001:db8::100".parse().unwrap();
    let na_mac = Address([0x52, 0x54, 0x00, 0x12, 0x34, 0x56]);
    let mut garp = vec![0u8; arp::GRATUITOUS_FRAME_LEN];
    arp::emit_gratuitous(MAC, Ipv4Addr::new(10, 99, 0, 100), &mut garp).unwrap();
    let mut na = vec![0u8; ndisc::UNSOLICITED_FRAME_LEN];
    ndisc::emit_unsolicited_na(na_mac, vip6, false, &mut na).unwrap();

    let frames = vec![
        ipv4_frame(ipv4::VRRP_GROUP, &v2(Auth::None), None),
        ipv4_frame(
            ipv4::VRRP_GROUP,
            &v2(Auth::Pass(auth_data(b"secret"))),
            None,
        ),
        ipv4_frame(ipv4::VRRP_GROUP, &v2(Auth::Ah), Some(&key)),
        ipv4_frame(ipv4::VRRP_GROUP, &v3(), None),
        ipv4_frame(PEER, &v3(), None),
        ipv6_frame(),
        garp,
        na,
    ];
    let file = PcapFile::ethernet(&frames);
    let dissected = dissect(&file, &[]);
    assert_eq!(
        dissected.len(),
        frames.len(),
        "tshark saw another number of frames"
    );

    let ip_good = "[Header checksum status: Good]";
    let vrrp_good = "[Checksum Status: Good]";
    let v2_common = [
        ip_good,
        vrrp_good,
        "Time to Live: 255",
        "Source Address: 10.99.0.1",
        "Destination Address: 224.0.0.18",
        "Version 2, Packet type 1 (Advertisement)",
        "Virtual Rtr ID: 51",
        "Priority: 160 (Non-default backup priority)",
        "Addr Count: 1",
        "Adver Int: 1",
        "IP Address: 10.99.0.100",
    ];

    // 1. v2 multicast, no authentication.
    assert_has(&dissected[0], &v2_common);
    assert_has(
        &dissected[0],
        &["Protocol: VRRP (112)", "Auth Type: No Authentication (0)"],
    );

    // 2. v2 PASS.
    assert_has(&dissected[1], &v2_common);
    assert_has(
        &dissected[1],
        &["Auth Type: Simple Text Authentication … (1)"],
    );
    assert_has(&dissected[1], &["Authentication String: secret"]);

    // 3. v2 AH: IP protocol 51, then AH (SPI = source, sequence), then VRRP.
    assert_has(&dissected[2], &v2_common);
    assert_has(
        &dissected[2],
        &[
            "Protocol: Authentication Header (51)",
            "Authentication Header",
            "Next header: VRRP (112)",
            "AH SPI: 0x0a630001",
            "AH Sequence: 3",
            "Auth Type: IP Authentication Header … (2)",
        ],
    );

    // 4–5. v3 IPv4, multicast then unicast: the checksum covers the real destination.
    for (frame, dst) in [(&dissected[3], "224.0.0.18"), (&dissected[4], "10.99.0.2")] {
        assert_has(
            frame,
            &[
                ip_good,
                vrrp_good,
                &format!("Destination Address: {dst}"),
                "Version 3, Packet type 1 (Advertisement)",
                "Virtual Rtr ID: 52",
                "Priority: 150 (Non-default backup priority)",
                "Addr Count: 2",
                ".... 0000 0011 0010 = Adver Int: 50",
                "IP Address: 10.99.0.101",
                "IP Address: 10.99.0.102",
            ],
        );
    }

    // 6. v3 IPv6 from a link-local source to ff02::12.
    assert_has(
        &dissected[5],
        &[
            vrrp_good,
            "Hop Limit: 255",
            "Source Address: fe80::1",
            "Destination Address: ff02::12",
            "Version 3, Packet type 1 (Advertisement)",
            "Virtual Rtr ID: 53",
            "Priority: 200 (Non-default backup priority)",
            "Addr Count: 2",
            ".... 0000 0110 0100 = Adver Int: 100",
            "IPv6 Address: 2001:db8::101",
            "IPv6 Address: fe80::53",
        ],
    );

    // 7. Gratuitous ARP (spec §3.9).
    assert_has(
        &dissected[6],
        &[
            "Destination: …(ff:ff:ff:ff:ff:ff)",
            "Address Resolution Protocol (request/gratuitous ARP)",
            "Opcode: request (1)",
            "[Is gratuitous: True]",
            "Sender MAC address: …(00:00:5e:00:01:33)",
            "Sender IP address: 10.99.0.100",
            "Target MAC address: …(ff:ff:ff:ff:ff:ff)",
            "Target IP address: 10.99.0.100",
        ],
    );

    // 8. Unsolicited NA with Override, target link-layer address, good checksum.
    assert_has(
        &dissected[7],
        &[
            "Hop Limit: 255",
            "Destination Address: ff02::1",
            "Type: Neighbor Advertisement (136)",
            "[Checksum Status: Good]",
            "0... .... .... .... .... .... .... .... = Router: Not set",
            ".0.. .... .... .... .... .... .... .... = Solicited: Not set",
            "..1. .... .... .... .... .... .... .... = Override: Set",
            "Target Address: 2001:db8::100",
            "Type: Target link-layer address (2)",
        ],
    );
    assert!(
        dissected[7].contains("52:54:00:12:34:56"),
        "no link-layer address option:\n{}",
        dissected[7]
    );
}

// Input: a VRRPv3 IPv4 advert sent with `v3_checksum_as_v2` (no pseudo-header).
// Output: Wireshark, told the same (`vrrp.v3_checksum_as_in_v2:TRUE`), finds its checksum
// Good; with its default it finds it Bad — so the variant is the one RFC 9568 describes.
#[test]
fn tshark_agrees_on_v3_checksum_as_v2() {
    let file = PcapFile::ethernet(&[ipv4_frame_with(PEER, &v3(), None, ChecksumMode::AsV2)]);
    let as_v2 = dissect(&file, &["vrrp.v3_checksum_as_in_v2:TRUE"]);
    assert_eq!(as_v2.len(), 1);
    assert_has(
        &as_v2[0],
        &["[Checksum Status: Good]", "Virtual Rtr ID: 52"],
    );
    let standard = dissect(&file, &[]);
    assert_has(&standard[0], &["[Checksum Status: Bad]"]);
}
