//! IPv6 / VRRPv3 instances and routing by (interface, family, VRID) (RFC 5798 §5.1.2).

mod common;

use std::net::{IpAddr, Ipv6Addr};

use common::*;
use keel_vrrp::{
    Action, ChecksumStatus, InstanceConfig, ReceivedAdvert, ReceivedAuth, Router, RouterConfig,
    RouterInput, State, Version,
};

fn v6(last: u16) -> IpAddr {
    IpAddr::V6(Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, last))
}

fn vip6() -> IpAddr {
    IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x100))
}

fn config6(last: u16, priority: u8) -> InstanceConfig {
    let mut cfg = InstanceConfig::new("VI_6", "eth0", 51, v6(last));
    cfg.priority = priority;
    cfg.virtual_addresses = vec![vip6()];
    cfg
}

fn advert6(last: u16, priority: u8) -> ReceivedAdvert {
    ReceivedAdvert {
        version: Version::V3,
        packet_type: 1,
        vrid: 51,
        priority,
        max_advert_interval: secs(1),
        addresses: vec![vip6()],
        auth: ReceivedAuth::NONE,
        source: v6(last),
        destination: "ff02::12".parse().expect("literal"),
        ttl_or_hop_limit: 255,
        checksum: ChecksumStatus::Valid,
    }
}

// Input: an IPv6 instance with defaults. Output: version 3, group ff02::12; as MASTER its
// adverts go to ff02::12 from its link-local address (spec §3.1, §2.3).
#[test]
fn ipv6_defaults_to_v3_and_ff02_12() {
    let start = t0();
    let (mut instance, _) = started(config6(1, 100), start);
    assert_eq!(instance.config().version, Version::V3);
    let events = run_alone(&mut instance, start + secs(4));
    assert_eq!(instance.state(), State::Master);
    let sent = events.iter().find_map(|(_, a)| match a {
        Action::SendAdvert(out) => Some(out.clone()),
        _ => None,
    });
    let sent = sent.expect("advert");
    assert_eq!(
        sent.destinations[..],
        ["ff02::12".parse::<IpAddr>().expect("literal")]
    );
    assert_eq!(sent.source, v6(1));
    assert_eq!(sent.version, Version::V3);
}

// Input: a v3/IPv6 backup (100) hearing a master (200) at t. Output: takeover at
// t + 3 s + 156 × 1 s / 256 = t + 3.609375 s (RFC 5798 §6.1).
#[test]
fn ipv6_backup_takeover_timing() {
    let start = t0();
    let (mut b, _) = started(config6(2, 100), start);
    b.handle_advert(start + ms(10), &advert6(1, 200));
    assert_eq!(b.poll_timeout(), Some(start + ms(10) + us(3_609_375)));
    let mut bad = advert6(1, 200);
    bad.ttl_or_hop_limit = 64;
    b.handle_advert(start + ms(20), &bad);
    assert_eq!(
        b.stats().ip_ttl_err,
        1,
        "hop limit must be 255 (RFC 5798 §5.1.2.3)"
    );
}

// Input: an IPv4 VI_1 (eth0, VRID 51) and an IPv6 VI_6 (eth0, VRID 51) in one router; adverts
// for VRID 51 from each family, and one on eth1.
// Output: each reaches its own instance; eth1 reaches none (handle_advert returns false).
#[test]
fn router_routes_by_interface_family_and_vrid() {
    let start = t0();
    let config = RouterConfig {
        instances: vec![config(2, 100), config6(2, 100)],
        sync_groups: vec![],
    };
    let mut router = Router::new(config, start).expect("VRID may repeat across families");
    router.handle(start, RouterInput::Start);
    assert!(router.handle_advert(start, "eth0", &advert(1, 200)));
    assert!(router.handle_advert(start, "eth0", &advert6(1, 200)));
    assert!(!router.handle_advert(start, "eth1", &advert(1, 200)));
    let received: Vec<_> = router
        .instances()
        .iter()
        .map(|i| i.stats().advert_rcvd)
        .collect();
    assert_eq!(received, vec![1, 1]);
}

// Input: two IPv4 instances with the same VRID on the same interface.
// Output: DuplicateVrid.
#[test]
fn duplicate_vrid_is_refused() {
    let mut second = config(3, 100);
    second.name = "VI_2".into();
    let config = RouterConfig {
        instances: vec![config(2, 100), second],
        sync_groups: vec![],
    };
    assert!(matches!(
        Router::new(config, t0()),
        Err(keel_vrrp::ConfigError::DuplicateVrid { .. })
    ));
}

// Input: a v2 instance with an IPv6 VIP; v3 with a 1.234 s interval (not whole cs).
// Output: FamilyMismatch; InvalidAdvertInterval.
#[test]
fn invalid_configs_are_errors_not_panics() {
    let mut cfg = config(1, 100);
    cfg.virtual_addresses.push(vip6());
    assert!(matches!(
        keel_vrrp::Instance::new(cfg, t0()),
        Err(keel_vrrp::ConfigError::FamilyMismatch { .. })
    ));
    let mut cfg = config6(1, 100);
    cfg.advert_interval = us(1_234_000);
    assert!(matches!(
        keel_vrrp::Instance::new(cfg, t0()),
        Err(keel_vrrp::ConfigError::InvalidAdvertInterval { .. })
    ));
    let mut cfg = config(1, 100);
    cfg.priority = 0;
    assert!(keel_vrrp::Instance::new(cfg, t0()).is_err());
}
