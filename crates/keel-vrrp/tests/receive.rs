//! Receive validation in keepalived's order with one counter per failure (spec §3.2, §4.2;
//! RFC 3768 §7.1, RFC 5798 §7.1). A rejected advert must not reset the down timer.

mod common;

use std::net::{IpAddr, Ipv4Addr};

use common::*;
use keel_vrrp::{
    AhStatus, Authentication, ChecksumStatus, Input, Instance, MalformedKind, ReceivedAdvert,
    ReceivedAuth, Stats, UnicastPeer, Version, VipMismatch,
};

/// A started BACKUP built from `config`, and its start time.
fn backup_with(config: keel_vrrp::InstanceConfig) -> (Instance, std::time::Instant) {
    let start = t0();
    let (backup, _) = started(config, start);
    (backup, start)
}

/// Feeds `packet` one second after start and reports (accepted?, stats).
fn feed(config: keel_vrrp::InstanceConfig, packet: ReceivedAdvert) -> (bool, Stats) {
    let (mut backup, start) = backup_with(config);
    let before = backup.poll_timeout();
    backup.handle_advert(start + secs(1), &packet);
    let accepted = backup.poll_timeout() != before;
    (accepted, *backup.stats())
}

// Input: a well-formed advert from a higher-priority master.
// Output: accepted (down timer reset), advert_rcvd = 1, nothing else counted.
#[test]
fn valid_advert_is_counted_and_accepted() {
    let (accepted, stats) = feed(config(2, 100), advert(1, 200));
    assert!(accepted);
    assert_eq!(
        stats,
        Stats {
            advert_rcvd: 1,
            ..Stats::default()
        }
    );
}

// Input: multicast advert with TTL 254. Output: ip_ttl_err, discarded (RFC 5798 §7.1).
#[test]
fn multicast_ttl_must_be_255() {
    let mut packet = advert(1, 200);
    packet.ttl_or_hop_limit = 254;
    let (accepted, stats) = feed(config(2, 100), packet);
    assert!(!accepted);
    assert_eq!(stats.ip_ttl_err, 1);
    assert_eq!(stats.advert_rcvd, 0);
}

// Input: a unicast instance receiving TTL 64 from its peer. Output: accepted (no TTL rule
// for unicast, spec §3.2).
#[test]
fn unicast_ignores_ttl_unless_a_window_is_set() {
    let mut cfg = config(2, 100);
    cfg.unicast_peers = vec![UnicastPeer::new(v4(1))];
    let mut packet = advert(1, 200);
    packet.destination = v4(2);
    packet.ttl_or_hop_limit = 64;
    let (accepted, _) = feed(cfg.clone(), packet.clone());
    assert!(accepted);

    // Input: the same with min_ttl 250 on the peer. Output: ip_ttl_err, discarded.
    cfg.unicast_peers[0].min_ttl = 250;
    let (accepted, stats) = feed(cfg, packet);
    assert!(!accepted);
    assert_eq!(stats.ip_ttl_err, 1);
}

// Input: a v3 advert at a v2 instance. Output: discarded, no keepalived counter.
#[test]
fn wrong_version_is_dropped() {
    let mut packet = advert(1, 200);
    packet.version = Version::V3;
    let (accepted, stats) = feed(config(2, 100), packet);
    assert!(!accepted);
    assert_eq!(stats, Stats::default());
}

// Input: v2 auth type 7. Output: invalid_authtype.
// Input: auth type PASS at an instance without auth. Output: authtype_mismatch.
// Input: wrong password. Output: auth_failure (RFC 3768 §7.1, spec §3.2).
#[test]
fn v2_authentication_failures_are_counted_by_kind() {
    let mut packet = advert(1, 200);
    packet.auth.auth_type = 7;
    let (accepted, stats) = feed(config(2, 100), packet);
    assert!(!accepted);
    assert_eq!(stats.invalid_authtype, 1);

    let mut packet = advert(1, 200);
    packet.auth = ReceivedAuth {
        ah: None,
        auth_type: 1,
        data: *b"secret\0\0",
    };
    let (accepted, stats) = feed(config(2, 100), packet.clone());
    assert!(!accepted);
    assert_eq!(stats.authtype_mismatch, 1);

    let mut cfg = config(2, 100);
    cfg.authentication = Authentication::Pass(*b"other\0\0\0");
    let (accepted, stats) = feed(cfg.clone(), packet.clone());
    assert!(!accepted);
    assert_eq!(stats.auth_failure, 1);

    cfg.authentication = Authentication::Pass(*b"secret\0\0");
    let (accepted, stats) = feed(cfg, packet);
    assert!(accepted);
    assert_eq!(stats.advert_rcvd, 1);
}

// Input: AH expected but a plain advert arrives; AH arrives with a bad ICV.
// Output: authtype_mismatch; auth_failure (spec §3.2: AH presence checked first).
#[test]
fn ah_presence_and_icv_are_checked() {
    let mut cfg = config(2, 100);
    cfg.authentication = Authentication::Ah(*b"key\0\0\0\0\0");
    let (accepted, stats) = feed(cfg.clone(), advert(1, 200));
    assert!(!accepted);
    assert_eq!(stats.authtype_mismatch, 1);

    let mut packet = advert(1, 200);
    packet.auth = ReceivedAuth {
        ah: Some(AhStatus::Invalid),
        auth_type: 2,
        data: [0; 8],
    };
    let (accepted, stats) = feed(cfg.clone(), packet.clone());
    assert!(!accepted);
    assert_eq!(stats.auth_failure, 1);

    packet.auth.ah = Some(AhStatus::Valid);
    let (accepted, _) = feed(cfg, packet);
    assert!(accepted);
}

// Input: v2 advert with a 2 s interval at a 1 s instance.
// Output: dropped ("prevent concurrent VRID"), advert_interval_err (RFC 3768 §7.1).
#[test]
fn v2_interval_mismatch_is_dropped() {
    let mut packet = advert(1, 200);
    packet.max_advert_interval = secs(2);
    let (accepted, stats) = feed(config(2, 100), packet);
    assert!(!accepted);
    assert_eq!(stats.advert_interval_err, 1);
}

// Input: v3 advert with a different interval. Output: accepted and learned (spec §3.2: v3
// only logs).
#[test]
fn v3_interval_difference_is_accepted() {
    let mut cfg = config(2, 100);
    cfg.version = Version::V3;
    let mut packet = advert(1, 200);
    packet.version = Version::V3;
    packet.max_advert_interval = ms(300);
    let (accepted, stats) = feed(cfg, packet);
    assert!(accepted);
    assert_eq!(stats.advert_interval_err, 0);
}

// Input: packet type 2. Output: invalid_type_rcvd.
#[test]
fn non_advert_type_is_counted() {
    let mut packet = advert(1, 200);
    packet.packet_type = 2;
    let (accepted, stats) = feed(config(2, 100), packet);
    assert!(!accepted);
    assert_eq!(stats.invalid_type_rcvd, 1);
}

// Input: bad checksum. Output: dropped, checksum_err (keepalived: SNMP chk_err only).
// Input: v3/IPv4 unicast with the old group pseudo-header. Output: accepted unless
// `old_unicast_checksum never` (spec §3.1).
#[test]
fn checksum_verdicts() {
    let mut packet = advert(1, 200);
    packet.checksum = ChecksumStatus::Invalid;
    let (accepted, stats) = feed(config(2, 100), packet);
    assert!(!accepted);
    assert_eq!(stats.checksum_err, 1);

    let mut cfg = config(2, 100);
    cfg.version = Version::V3;
    cfg.unicast_peers = vec![UnicastPeer::new(v4(1))];
    let mut packet = advert(1, 200);
    packet.version = Version::V3;
    packet.destination = v4(2);
    packet.checksum = ChecksumStatus::ValidOldUnicast;
    let (accepted, _) = feed(cfg.clone(), packet.clone());
    assert!(accepted);
    cfg.accept_old_unicast_checksum = false;
    let (accepted, stats) = feed(cfg, packet);
    assert!(!accepted);
    assert_eq!(stats.checksum_err, 1);
}

// Input: a multicast instance gets a unicast advert. Output: addr_list_err, dropped.
#[test]
fn unicast_advert_at_multicast_instance_is_dropped() {
    let mut packet = advert(1, 200);
    packet.destination = v4(2);
    let (accepted, stats) = feed(config(2, 100), packet);
    assert!(!accepted);
    assert_eq!(stats.addr_list_err, 1);
    assert_eq!(stats.advert_rcvd, 0);
}

// Input: the master advertises 10.99.0.200 instead of our 10.99.0.100 (keepalived 2.2.7).
// Output: advert_rcvd counted, then addr_list_err and discarded: "ip address associated with
// VRID not present in MASTER advert" (spec §3.2 [ver]).
#[test]
fn vip_mismatch_is_discarded_like_keepalived_2_2_7() {
    let mut packet = advert(1, 200);
    packet.addresses = vec![IpAddr::V4(Ipv4Addr::new(10, 99, 0, 200))];
    let (accepted, stats) = feed(config(2, 100), packet.clone());
    assert!(!accepted);
    assert_eq!((stats.advert_rcvd, stats.addr_list_err), (1, 1));

    // Input: same with the ≥ 2.3.3 / RFC 9568 switch. Output: counted but accepted.
    let mut cfg = config(2, 100);
    cfg.vip_mismatch = VipMismatch::CountOnly;
    let (accepted, stats) = feed(cfg, packet);
    assert!(accepted);
    assert_eq!(stats.addr_list_err, 1);
}

// Input: skip_check_adv_addr, a known master then changes its VIP list.
// Output: accepted without addr_list_err; a new master's mismatching list is still checked.
#[test]
fn skip_check_adv_addr_trusts_the_known_master() {
    let start = t0();
    let mut cfg = config(3, 100);
    cfg.skip_check_adv_addr = true;
    let (mut backup, _) = started(cfg, start);
    backup.handle_advert(start, &advert(1, 200));
    let mut changed = advert(1, 200);
    changed.addresses = vec![];
    backup.handle_advert(start + secs(1), &changed);
    assert_eq!(backup.poll_timeout(), Some(start + secs(1) + us(3_609_375)));
    assert_eq!(backup.stats().addr_list_err, 0);
    let mut other = advert(2, 200);
    other.addresses = vec![];
    backup.handle_advert(start + secs(2), &other);
    assert_eq!(backup.stats().addr_list_err, 1);
}

// Input: check_unicast_src, an advert from 10.99.0.9 which is not a peer.
// Output: discarded (spec §3.2 last check).
#[test]
fn check_unicast_src_requires_a_peer() {
    let mut cfg = config(2, 100);
    cfg.unicast_peers = vec![UnicastPeer::new(v4(1))];
    cfg.check_unicast_src = true;
    let mut packet = advert(9, 200);
    packet.destination = v4(2);
    let (accepted, _) = feed(cfg, packet);
    assert!(!accepted);
}

// Input: the owner (255) with owner_ignore_adverts hears a higher-address 255 advert.
// Output: ignored before counting; stays MASTER (spec §3.2, §3.11).
#[test]
fn owner_ignore_adverts_ignores_everything() {
    let start = t0();
    let mut cfg = config(1, 255);
    cfg.initial_state = keel_vrrp::InitialState::Master;
    cfg.owner_ignore_adverts = true;
    let (mut owner, _) = started(cfg, start);
    owner.handle_advert(start, &advert(9, 255));
    assert_eq!(owner.state(), keel_vrrp::State::Master);
    assert_eq!(owner.stats().advert_rcvd, 0);
}

// Input: the daemon reports a truncated packet. Output: packet_len_err.
#[test]
fn malformed_length_is_counted() {
    let start = t0();
    let (mut backup, _) = started(config(2, 100), start);
    backup.handle(start, Input::Malformed(MalformedKind::Length));
    assert_eq!(backup.stats().packet_len_err, 1);
}
